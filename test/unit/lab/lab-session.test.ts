import { describe, expect, it } from 'vitest';
import { LAB_WIRE_BUDGET_MS, LabEmsClock, labAckTimeoutS, labOpcuaTiming } from '../../../src-main/lab/lab-session.js';

describe('labOpcuaTiming: the OPC UA link at lab speed N', () => {
  it('is about the connector field defaults at 1×', () => {
    expect(labOpcuaTiming(1)).toEqual({ samplingIntervalMs: 500, publishingIntervalMs: 500, heartbeatPeriodMs: 2000, revertS: 12.5, writeTimeoutMs: 4500 });
  });

  it('samples at half the real publication period, within node-opcua floor of 50 ms and 500 ms', () => {
    expect(labOpcuaTiming(4).samplingIntervalMs).toBe(125);
    expect(labOpcuaTiming(30).samplingIntervalMs).toBe(50);
    expect(labOpcuaTiming(0.5).samplingIntervalMs).toBe(500);
  });

  it.each([1, 2, 10, 30, 60])('at %s×: a setpoint survives a late heartbeat and a slow wire, and the connector gives up before the engine', (speed) => {
    const t = labOpcuaTiming(speed);
    const wireS = (LAB_WIRE_BUDGET_MS / 1000) * speed;
    // Renewed by a heartbeat every period; one that is a whole wire budget late still arrives in time.
    expect(t.revertS).toBeGreaterThan(t.heartbeatPeriodMs / 1000 + wireS);
    // Between two 10 s BESS cycles the setpoint cannot lapse even with no heartbeat at all.
    expect(t.revertS).toBeGreaterThan(10 + wireS);
    // At most four heartbeats per real second.
    expect(t.heartbeatPeriodMs / speed).toBeGreaterThanOrEqual(250 - 1e-9);
    expect(t.writeTimeoutMs).toBeLessThan(labAckTimeoutS(speed) * 1000);
  });

  it('refuses a speed that is not a positive number', () => {
    expect(() => labOpcuaTiming(0)).toThrow(/positive/);
    expect(() => labOpcuaTiming(NaN)).toThrow(/positive/);
  });
});

describe('LabEmsClock', () => {
  it('stands at the window start until started, then runs at N× from the rig anchor, scheduling what waited', () => {
    let wall = 1000;
    const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
    const clock = new LabEmsClock(5_000_000, 10, {
      now: () => wall,
      setTimeout: (fn, ms) => timers.push({ fn, ms, cleared: false }) - 1,
      clearTimeout: (h) => (timers[h as number]!.cleared = true),
    });
    const fired: string[] = [];
    clock.schedule(5_000_000, () => fired.push('at start'));
    const cancel = clock.schedule(5_000_100, () => fired.push('cancelled'));
    clock.schedule(5_000_200, () => fired.push('later'));
    cancel();
    wall = 1500;
    expect(clock.nowMs()).toBe(5_000_000);
    expect(fired).toEqual([]);
    // The rig started its simulation at wall 1490 (sim 5 000 000): 10 ms of wall later, 100 ms simulated.
    clock.start({ wall0: 1490, sim0: 5_000_000 });
    expect(clock.nowMs()).toBe(5_000_100);
    // What waited is handed to the wall timers, in real ms from now (the cancelled one is not).
    expect(timers.map((t) => t.ms)).toEqual([0, 10]);
    for (const t of timers) t.fn();
    expect(fired).toEqual(['at start', 'later']);
    wall = 1502;
    expect(clock.nowMs()).toBe(5_000_120);
    // Once started, it is the wall clock at N×: a cancel reaches the wall timer.
    const cancelLater = clock.schedule(5_000_220, () => fired.push('never'));
    expect(timers.at(-1)!.ms).toBe(10);
    cancelLater();
    expect(timers.at(-1)!.cleared).toBe(true);
    expect(() => clock.start({ wall0: 0, sim0: 0 })).toThrow(/already started/);
  });
});
