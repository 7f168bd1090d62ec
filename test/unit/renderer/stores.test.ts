/**
 * The console's logic without a DOM: formatting, the two-step setpoint flow against a fake bridge, asset
 * sorting, navigation, shortcuts, preferences, KPI comparison, and that both languages have every text.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { setBridge } from '../../../src-renderer/src/api';
import type { AssetRow, IpcResult, LfcApi, LiveState, TriggerRequest } from '../../../src-renderer/src/api';
import { formatDuration, formatKw, formatTime, formatValue, unitOfSeries } from '../../../src-renderer/src/composables/format';
import { shortcutFor } from '../../../src-renderer/src/composables/shortcuts';
import { de, en } from '../../../src-renderer/src/i18n/messages';
import { sortAndFilterAssets } from '../../../src-renderer/src/stores/assets';
import { chartWindowEndMs, deviationKw, linkCounts, timeLeftS, useLiveStore } from '../../../src-renderer/src/stores/live';
import { viewFromHash } from '../../../src-renderer/src/stores/navigation';
import { kpiComparison } from '../../../src-renderer/src/stores/replay';
import { describeTrigger, headlineKpis } from '../../../src-renderer/src/stores/runs';
import { parsePreferences } from '../../../src-renderer/src/stores/settings';
import { toRequest, useSetpointStore, validateDraft } from '../../../src-renderer/src/stores/setpoint';
import { windowFor } from '../../../src-renderer/src/stores/trends';
import { createWsBridge } from '../../../src-renderer/src/api/ws-bridge';
import type { SocketLike } from '../../../src-renderer/src/api/ws-bridge';

const ok = <T>(value: T): Promise<IpcResult<T>> => Promise.resolve({ ok: true, value });

function fakeBridge(calls: Array<[string, unknown[]]>, overrides: Partial<Record<string, (...a: unknown[]) => unknown>> = {}): LfcApi {
  return new Proxy({} as LfcApi, {
    get: (_t, channel: string) =>
      (...args: unknown[]) => {
        calls.push([channel, args]);
        const o = overrides[channel];
        if (o) return o(...args);
        if (channel.includes(':on')) return () => undefined;
        return ok(null);
      },
  });
}

beforeEach(() => {
  setActivePinia(createPinia());
  setBridge(null);
});

describe('format', () => {
  it.each([
    [-212.44, 'en', '−212.4\u202fkW'],
    [-212.44, 'de', '−212,4\u202fkW'],
    [1234.5, 'de', '1.234,5\u202fkW'],
    [null, 'en', '— kW'],
    [Number.NaN, 'de', '— kW'],
  ] as const)('formatKw(%s, %s) = %s', (v, l, want) => {
    expect(formatKw(v, l)).toBe(want);
  });
  it('formats durations, percentages and times in the site zone', () => {
    expect(formatDuration(3900, 'en')).toBe('1\u202fh 05\u202fmin');
    expect(formatDuration(250, 'de')).toBe('4\u202fmin 10\u202fs');
    expect(formatValue(99.5, '%', 'de')).toBe('99,5\u202f%');
    expect(formatTime(Date.UTC(2026, 5, 21, 8, 0, 5), 'de', 'Europe/Berlin')).toBe('10:00:05');
  });
  it.each([
    ['breaker.measuredKw', 'kW'],
    ['bess.socPct', '%'],
    ['hp-01.indoorC', '°C'],
    ['x.energyKwh', 'kWh'],
    ['nothing', ''],
  ])('reads the unit of %s as %s (the core’s convention)', (id, unit) => {
    expect(unitOfSeries(id)).toBe(unit);
  });
});

describe('setpoint flow', () => {
  it('validates against the connection limit and the use case', () => {
    const base = { useCase: 2 as const, targetKw: -700, durationMin: 60, toleranceKw: 10, packages: [] };
    expect(validateDraft(base, 630).join()).toContain('connection limit of ±630 kW');
    expect(validateDraft({ ...base, targetKw: -150, durationMin: 0 }, 630).join()).toContain('duration');
    expect(validateDraft({ ...base, useCase: 4, packages: [{ startInMin: 0, lengthMin: 30, targetKw: 50 }] }, 630).join()).toContain('export package');
    expect(validateDraft({ ...base, useCase: 3, packages: [{ startInMin: 0, lengthMin: 30, targetKw: 50 }, { startInMin: 20, lengthMin: 30, targetKw: 60 }] }, 630).join()).toContain('overlap');
    expect(validateDraft({ ...base, targetKw: -150 }, 630)).toEqual([]);
  });

  it('places a schedule on the session clock', () => {
    const r = toRequest({ useCase: 3, targetKw: null, durationMin: null, toleranceKw: 5, packages: [{ startInMin: 30, lengthMin: 15, targetKw: 100 }, { startInMin: 0, lengthMin: 15, targetKw: 50 }] }, 1_000_000);
    expect(r).toEqual({ useCase: 3, toleranceKw: 5, durationS: 2700, schedule: [{ fromMs: 1_000_000, toMs: 1_900_000, targetKw: 50 }, { fromMs: 2_800_000, toMs: 3_700_000, targetKw: 100 }] });
  });

  it('sends nothing before the second step, then exactly the reviewed request', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(
      fakeBridge(calls, {
        'core:checkTrigger': () => ok({ errors: [], verdict: 'feasible', requiredKw: -60, band: { downKw: -300, upKw: 300 }, uncontrolledKw: -90, connectionLimitKw: 630, message: '' }),
        'core:sendTrigger': (req: unknown) => ok({ accepted: true, triggerId: 'OP-001', echo: req }),
      }),
    );
    const sp = useSetpointStore();
    sp.draft = { useCase: 2, targetKw: -150, durationMin: 30, toleranceKw: 10, packages: [] };
    expect(await sp.review(5_000, 630)).toBe(true);
    expect(sp.phase).toBe('review');
    expect(calls.map((c) => c[0])).toEqual(['core:checkTrigger']);
    expect(await sp.confirm()).toBe(true);
    const sent = calls.find((c) => c[0] === 'core:sendTrigger')![1][0] as TriggerRequest;
    expect(sent).toEqual({ useCase: 2, targetKw: -150, durationS: 1800, toleranceKw: 10 });
    expect(sp.result).toMatchObject({ ok: true, triggerId: 'OP-001' });
    expect(await sp.confirm()).toBe(false); // a second click sends nothing
  });

  it('stops at the core’s errors and never reaches review', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(fakeBridge(calls, { 'core:checkTrigger': () => ok({ errors: ['beyond the limit'], verdict: 'unknown', requiredKw: null, band: null, uncontrolledKw: null, connectionLimitKw: 630, message: '' }) }));
    const sp = useSetpointStore();
    sp.draft = { useCase: 2, targetKw: -150, durationMin: 30, toleranceKw: 10, packages: [] };
    expect(await sp.review(0, 630)).toBe(false);
    expect(sp.localErrors).toEqual(['beyond the limit']);
    expect(sp.phase).toBe('edit');
  });
});

describe('live store', () => {
  const state = (over: Partial<LiveState> = {}): LiveState => ({
    status: 'running', source: null, sessionId: 's', speed: 1, nowMs: 600_000, startMs: 0, endMs: 1e7, timezone: 'UTC', connectionLimitKw: 630,
    breaker: { measuredKw: -145, sampleMs: 590_000, stale: false, safeState: false, targetKw: -150 },
    run: { runId: 'run-001', useCase: 2, startMs: 0, plannedEndMs: 900_000, targetKw: -150, toleranceKw: 10, predictedExhaustionAtMs: null, exhaustion: null, band: { downKw: -300, upKw: 300 }, inExhaustion: false, kpis: null },
    pendingTrigger: null, forecastMissing: false, assets: [], recent: [], recentWindowMs: 1_800_000, recentEvents: [], connections: [], ...over,
  });
  it('derives deviation, time left and link counts', () => {
    expect(deviationKw(state())).toBe(5);
    expect(timeLeftS(state())).toBe(300);
    expect(timeLeftS(state({ run: null }))).toBeNull();
    expect(linkCounts([{ link: 'ok' }, { link: 'lost' }, { link: 'ok' }] as AssetRow[])).toEqual({ ok: 2, lost: 1, rejecting: 0 });
  });
  it('reports the link down when updates stop and the stop result as given', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(fakeBridge(calls, { 'core:stop': () => ok({ accepted: true, triggerId: 'OP-002' }), 'core:getState': () => ok(state({ run: null })) }));
    const live = useLiveStore();
    live.apply(state(), 1000);
    live.wallNowMs = 2000;
    expect(live.linkAlive).toBe(true);
    expect(live.withinTolerance).toBe(true);
    live.wallNowMs = 10_000;
    expect(live.linkAlive).toBe(false);
    await live.stop();
    expect(calls.map((c) => c[0])).toEqual(['core:stop', 'core:getState']);
    expect(live.stopResult).toEqual({ ok: true, message: '' });
    expect(live.state?.run).toBeNull();
  });
});

describe('assets, navigation, shortcuts, preferences, runs, replay, trends', () => {
  const rows: AssetRow[] = [
    { id: 'hs-02', kind: 'householdStorage', powerKw: 2, setpointKw: null, socPct: 40, indoorC: null, link: 'ok', lastReportMs: 5, band: null },
    { id: 'bess', kind: 'bess', powerKw: -120, setpointKw: -120, socPct: 55, indoorC: null, link: 'ok', lastReportMs: 9, band: null },
    { id: 'hp-01', kind: 'heatPump', powerKw: 3, setpointKw: null, socPct: null, indoorC: 21, link: 'lost', lastReportMs: null, band: null },
    { id: 'hs-10', kind: 'householdStorage', powerKw: -1, setpointKw: null, socPct: 80, indoorC: null, link: 'ok', lastReportMs: 7, band: null },
  ];
  it('sorts and filters assets, unknown values last', () => {
    expect(sortAndFilterAssets(rows, { text: '', kind: 'all', sortKey: 'id', descending: false }).map((a) => a.id)).toEqual(['bess', 'hp-01', 'hs-02', 'hs-10']);
    expect(sortAndFilterAssets(rows, { text: '', kind: 'all', sortKey: 'powerKw', descending: true }).map((a) => a.id)).toEqual(['hp-01', 'hs-02', 'hs-10', 'bess']);
    expect(sortAndFilterAssets(rows, { text: '', kind: 'all', sortKey: 'lastReportMs', descending: true }).map((a) => a.id)).toEqual(['bess', 'hs-10', 'hs-02', 'hp-01']);
    expect(sortAndFilterAssets(rows, { text: 'lost', kind: 'all', sortKey: 'id', descending: false }).map((a) => a.id)).toEqual(['hp-01']);
    expect(sortAndFilterAssets(rows, { text: '', kind: 'householdStorage', sortKey: 'state', descending: false }).map((a) => a.id)).toEqual(['hs-02', 'hs-10']);
  });
  it('maps hashes and shortcuts to views and stop', () => {
    expect(viewFromHash('#/trends')).toBe('trends');
    expect(viewFromHash('#/nonsense')).toBe('now');
    const key = (code: string, over = {}) => shortcutFor({ code, altKey: true, ctrlKey: false, metaKey: false, shiftKey: false, ...over });
    expect(key('KeyS')).toEqual({ kind: 'stop' });
    expect(key('Digit4')).toEqual({ kind: 'view', view: 'trends' });
    expect(key('Digit9')).toBeNull();
    expect(key('KeyS', { altKey: false })).toBeNull();
    expect(key('KeyS', { ctrlKey: true })).toBeNull();
  });
  it('reads stored preferences field by field', () => {
    expect(parsePreferences('{"language":"de","theme":"neon"}', { language: 'en', theme: 'light' })).toEqual({ language: 'de', theme: 'light' });
    expect(parsePreferences('not json', { language: 'en', theme: 'dark' })).toEqual({ language: 'en', theme: 'dark' });
  });
  it('reads run records and compares replay KPIs', () => {
    const run = { kpis: { accuracy: { maeKw: 1.5, withinBandPct: 99 }, availability: { coveredPct: 100, heldPctOfRequested: 98 }, responsiveness: { settlingS: null } }, trigger: { useCase: 2, targetKw: -150, durationS: 3600, toleranceKw: 10, schedule: null } };
    expect(headlineKpis(run as never)).toEqual({ maeKw: 1.5, withinBandPct: 99, coveredPct: 100, heldPctOfRequested: 98, settlingS: null, requestedS: null, requestedBasis: null });
    const withBasis = { kpis: { availability: { heldPctOfRequested: 50, requestedS: 3600, requestedBasis: 'next-trigger' } } };
    expect(headlineKpis(withBasis as never)).toMatchObject({ requestedS: 3600, requestedBasis: 'next-trigger' });
    expect(describeTrigger(run.trigger)).toEqual({ useCase: 2, targetKw: -150, durationS: 3600, toleranceKw: 10, packages: 0 });
    const side = (mae: number) => ({ controller: 'lfc' as const, timeMs: [], measuredKw: [], targetKw: [], bessKw: [], runs: [{ runId: 'run-001', useCase: 2, startMs: 0, endMs: 1, endReason: 'duration-elapsed', kpis: { accuracy: { maeKw: mae } } }] });
    const rowsOut = kpiComparison([side(1.2), side(3.4)]);
    expect(rowsOut.find((r) => r.key === 'maeKw')).toEqual({ runId: 'run-001', key: 'maeKw', unit: 'kW', values: [1.2, 3.4] });
    expect(rowsOut.find((r) => r.key === 'coveredPct')?.values).toEqual([null, null]);
  });
  it('follows the live end of the trend window unless pinned', () => {
    expect(windowFor(3_600_000, true, 10_000_000, 5_000_000)).toEqual({ fromMs: 6_400_000, toMs: 10_000_000 });
    expect(windowFor(3_600_000, false, 10_000_000, 5_000_000)).toEqual({ fromMs: 1_400_000, toMs: 5_000_000 });
  });
  it('has every text in English and German', () => {
    const keys = (o: object, p = ''): string[] => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v as object, `${p}${k}.`) : [`${p}${k}`]));
    expect(keys(de).sort()).toEqual(keys(en).sort());
    // vue-i18n reads "|" as a plural separator and {…} as interpolation: no stray ones in plain texts.
    for (const text of [...Object.values(en), ...Object.values(de)].flatMap((g) => Object.values(g as Record<string, string>))) expect(text).not.toMatch(/\|/);
  });
});

describe('the WebSocket bridge', () => {
  class FakeSocket implements SocketLike {
    readyState = 0;
    sent: string[] = [];
    onopen: ((ev: unknown) => void) | null = null;
    onclose: ((ev: unknown) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    send(data: string): void {
      this.sent.push(data);
    }
    close(): void {
      this.readyState = 3;
      this.onclose?.({});
    }
    open(): void {
      this.readyState = 1;
      this.onopen?.({});
    }
    receive(msg: unknown): void {
      this.onmessage?.({ data: JSON.stringify(msg) });
    }
  }

  /** A bridge over fake sockets, each connection attempt a new one (`sockets`, oldest first). */
  function fakeBridge(options?: Parameters<typeof createWsBridge>[2]) {
    const sockets: FakeSocket[] = [];
    const bridge = createWsBridge(
      'ws://x/ws',
      () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      options,
    );
    return { sockets, bridge };
  }

  it('exposes exactly the contract, queues calls until open, and routes replies and events', async () => {
    const { sockets, bridge } = fakeBridge();
    const { CHANNELS } = await import('../../../src-main/shared/ipc-contract');
    expect(Object.keys(bridge.api).sort()).toEqual([...CHANNELS].sort());
    const pending = bridge.api['core:setSpeed'](60);
    const socket = sockets[0]!;
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(JSON.parse(socket.sent[0]!)).toEqual({ id: 1, channel: 'core:setSpeed', args: [60] });
    const heard: unknown[] = [];
    const off = bridge.api['core:onLive']((p) => heard.push(p));
    socket.receive({ event: 'core:onLive', payload: { status: 'running' } });
    socket.receive({ id: 1, result: { ok: true, value: 'done' } });
    expect(await pending).toEqual({ ok: true, value: 'done' });
    off();
    socket.receive({ event: 'core:onLive', payload: { status: 'ended' } });
    expect(heard).toEqual([{ status: 'running' }]);
    bridge.close();
  });

  it('answers DISCONNECTED, never hangs, when the socket closes before the reply', async () => {
    const { sockets, bridge } = fakeBridge();
    sockets[0]!.open();
    const pending = bridge.api['core:stop']();
    sockets[0]!.close();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'DISCONNECTED' } });
    bridge.close();
  });

  it('after the link was lost, a call (a Stop) is reported as not arrived within seconds, not after a minute', async () => {
    vi.useFakeTimers();
    try {
      const { sockets, bridge } = fakeBridge();
      sockets[0]!.open();
      sockets[0]!.close();
      const pending = bridge.api['core:stop']();
      vi.advanceTimersByTime(5001);
      expect(await pending).toMatchObject({ ok: false, error: { code: 'DISCONNECTED', message: 'core:stop: no answer within 5 s' } });
      bridge.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a queued call that goes out on reconnect gets the full answer time from then on, never a late "failed"', async () => {
    vi.useFakeTimers();
    try {
      const { sockets, bridge } = fakeBridge();
      sockets[0]!.open();
      sockets[0]!.close();
      const pending = bridge.api['core:stop']();
      vi.advanceTimersByTime(4000);
      vi.advanceTimersByTime(600); // the reconnect attempt (0.5 s backoff)
      const again = sockets.at(-1)!;
      again.open();
      expect(again.sent).toHaveLength(1);
      vi.advanceTimersByTime(2000); // past the 5 s of the lost link: still waiting for the answer it was sent for
      again.receive({ id: JSON.parse(again.sent[0]!).id, result: { ok: true, value: { accepted: true } } });
      expect(await pending).toEqual({ ok: true, value: { accepted: true } });
      bridge.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('never sends later a request it already reported as failed', async () => {
    vi.useFakeTimers();
    try {
      const { sockets, bridge } = fakeBridge({ callTimeoutMs: 1000 });
      // Not connected yet: the trigger waits in the queue, then times out and is reported as failed.
      const pending = bridge.api['core:stop']();
      vi.advanceTimersByTime(1001);
      expect(await pending).toMatchObject({ ok: false, error: { code: 'DISCONNECTED' } });
      // The socket opens afterwards: nothing may go out.
      sockets[0]!.open();
      expect(sockets[0]!.sent).toEqual([]);
      bridge.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('chartWindowEndMs', () => {
  const T = Date.UTC(2026, 5, 21, 9, 0, 0);
  it('steps with the breaker sample, not at the period boundary a second before it', () => {
    // Sample of 09:00:00 received; at 09:00:10.5 the period boundary has passed but its sample is not in.
    expect(chartWindowEndMs(T, T + 10_500)).toBe(T + 10_000);
    // The sample of 09:00:10 arrives a second later: one step.
    expect(chartWindowEndMs(T + 10_000, T + 11_000)).toBe(T + 20_000);
  });
  it('moves without samples once the grace has passed, so a silent sensor shows as a growing gap', () => {
    expect(chartWindowEndMs(T, T + 14_000)).toBe(T + 10_000);
    expect(chartWindowEndMs(T, T + 16_000)).toBe(T + 20_000);
    expect(chartWindowEndMs(T, T + 60_000)).toBe(T + 60_000);
    expect(chartWindowEndMs(null, T + 60_000)).toBe(T + 60_000);
  });
});
