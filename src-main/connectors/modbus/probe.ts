/**
 * The console's "Test" of a Modbus/SunSpec connection: reach (TCP and an answer from the unit id), SunSpec
 * discovery (the model chain, listed), then one reading of power and SoC with its round trip. Nothing is
 * ever written. Modbus has no login and no encryption: the result says so.
 */
import type { ConnectionTestResult, ConnectionTestStep } from '../../shared/ipc-contract.js';
import { ModbusLinkError, SunspecBessConnector, type SunspecBessConnectorOptions } from './sunspec-bess-client.js';

export type ModbusProbeOptions = Pick<SunspecBessConnectorOptions, 'host' | 'port' | 'unitId' | 'timeoutMs' | 'control' | 'batteryPowerSign'>;

/** The probe's own clock: real time; it arms no timers (no setpoint is written). */
const realClock = { nowMs: () => Date.now(), schedule: (atMs: number, fn: () => void) => {
  const h = setTimeout(fn, Math.max(0, atMs - Date.now()));
  return () => clearTimeout(h);
} };

export async function probeModbus(o: ModbusProbeOptions): Promise<Omit<ConnectionTestResult, 'id'>> {
  const where = `${o.host}:${o.port} unit ${o.unitId}`;
  const steps: ConnectionTestStep[] = [];
  const c = new SunspecBessConnector({ ...o, assetId: 'probe', clock: realClock, pollMs: 3_600_000, heartbeatPeriodMs: 0, reconnect: { initialDelayMs: 3_600_000 } });
  const t0 = performance.now();
  try {
    const info = await c.start().catch((err: unknown) => {
      if (err instanceof ModbusLinkError && err.code !== 'unreachable') {
        steps.push({ step: 'reach', ok: true, detail: `answered in ${Math.round(performance.now() - t0)} ms` });
        steps.push({ step: 'read', ok: false, detail: err.message });
      } else steps.push({ step: 'reach', ok: false, detail: (err as Error).message });
      return null;
    });
    if (!info) return { ok: false, message: `${where}: ${steps.at(-1)!.detail}`, steps, latencyMs: null, opcua: null, modbus: null };
    steps.push({ step: 'reach', ok: true, detail: `SunSpec at ${info.baseAddress}, found in ${Math.round(performance.now() - t0)} ms` });
    const models = info.models.map((m) => `${m.id} ${m.name}`).join(', ');
    steps.push({ step: 'read', ok: true, detail: `models ${models}; setpoints via ${info.control}` });
    const r0 = performance.now();
    const m = await c.readNow().catch((err: unknown) => {
      steps.push({ step: 'read', ok: false, detail: `power and SoC: ${(err as Error).message}` });
      return undefined;
    });
    const latencyMs = Math.round((performance.now() - r0) * 10) / 10;
    const device = [info.manufacturer, info.model].filter(Boolean).join(' ') || null;
    const modbus = { unitId: o.unitId, baseAddress: info.baseAddress, models: info.models, device, serialNumber: info.serialNumber, control: info.control, socPct: m?.socPct ?? null, powerKw: m?.powerKw ?? null };
    if (m === undefined) return { ok: false, message: `${where}: ${steps.at(-1)!.detail}`, steps, latencyMs: null, opcua: null, modbus };
    if (m === null) {
      steps.push({ step: 'read', ok: false, detail: 'the device reports no active power (not implemented)' });
      return { ok: false, message: `${where}: the device reports no active power`, steps, latencyMs, opcua: null, modbus };
    }
    steps.push({ step: 'read', ok: true, detail: `power ${m.powerKw.toFixed(1)} kW, SoC ${m.socPct === null ? 'not reported' : `${m.socPct.toFixed(1)} %`} in ${latencyMs} ms` });
    return { ok: true, message: `${device ?? 'SunSpec device'} at ${where}: models ${info.models.map((x) => x.id).join(', ')}; no security (Modbus): keep it on a segment only the EMS reaches`, steps, latencyMs, opcua: null, modbus };
  } finally {
    await c.stop().catch(() => undefined);
  }
}
