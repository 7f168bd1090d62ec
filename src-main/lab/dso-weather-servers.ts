/**
 * The lab's grid-operator platform (`resources/openapi/dso-platform.json`) and weather service (an
 * Open-Meteo `/v1/forecast` look-alike).
 *
 * The platform serves the breaker sensor's samples as 3-phase U, I, φ (I-05) by long poll, each sample
 * as the simulated sensor took it (noise, period and delay from the scenario): a dropped-out sensor sends
 * nothing new, a NaN sample is sent with null phase values, a stuck one repeats its values with fresh
 * timestamps. It also forwards setpoints to controllers (I-06) in kW, % of the rating or as a schedule.
 */
import { HttpProblem, type JsonServerOptions } from '../connectors/rest/json-server.js';
import { phasesFor } from '../connectors/rest/three-phase.js';
import type { BreakerMeasurementWire, ControllerSetpointAnswer, ControllerSetpointRequest, PhaseWire } from '../connectors/rest/wire.js';
import { LabService } from './lab-service.js';
import { IdempotencyStore, type LabDevices } from './vendor-servers.js';

export interface BreakerSampleOnWire {
  sampleMs: number;
  /** NaN for an invalid sample. */
  powerKw: number;
}

/** The reactive power the lab's sensor reports: an inductive draw of tan φ = 0.2 of |P| plus 5 kvar. */
const reactiveKvar = (pKw: number) => 0.2 * Math.abs(pKw) + 5;

export function wirePhases(pKw: number, seq: number): PhaseWire[] {
  const names = ['L1', 'L2', 'L3'] as const;
  if (!Number.isFinite(pKw)) return names.map((phase) => ({ phase, voltageV: null, currentA: null, phiDeg: null }));
  // Deterministic small voltage and load imbalance, as a real LV busbar shows.
  const u: [number, number, number] = [231 + Math.sin(seq / 7), 229.5 + Math.cos(seq / 5), 230.2 + Math.sin(seq / 3) * 0.5];
  return phasesFor(pKw, reactiveKvar(pKw), u, [0.34, 0.33, 0.33]).map((p, k) => ({ phase: names[k]!, ...p }));
}

export interface DsoPlatformServer {
  service: LabService;
  /** The sensor took a sample; it is visible from `visibleFromMs` (the scenario's delay). */
  publish(sample: BreakerSampleOnWire): void;
  idempotency: IdempotencyStore;
}

export function dsoPlatformServer(
  role: string,
  opts: JsonServerOptions,
  meterId: string,
  controllers: LabDevices & { ratedKw(id: string): number | null; schedule(atMs: number, fn: () => void): void },
  /** The rig's simulated clock, served at `GET /v1/clock` for an EMS that follows it (site `clock: lab-rig`). */
  rigClock?: () => { nowMs: number; speed: number },
): DsoPlatformServer {
  let latest: { sample: BreakerSampleOnWire; seq: number } | null = null;
  let seq = 0;
  const waiters = new Set<() => void>();
  const idempotency = new IdempotencyStore();
  const service: LabService = new LabService(role, opts, [
    { method: 'GET', pattern: '/v1/health', open: true, handler: () => ({ status: 200, body: { status: 'ok', bootId: service.bootId } }) },
    {
      // A lab extension, not part of the platform's API: a rig replays a recorded day at N×, so an EMS
      // reaching it over the wire needs the rig's time, as a field EMS has NTP's.
      method: 'GET',
      pattern: '/v1/clock',
      handler: () => {
        if (!rigClock) throw new HttpProblem(404, 'this platform has no lab clock');
        const c = rigClock();
        return { status: 200, body: { nowMs: c.nowMs, now: new Date(c.nowMs).toISOString(), speed: c.speed } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/meters/:meterId/measurement',
      handler: async (req) => {
        if (req.params.meterId !== meterId) throw new HttpProblem(404, `no meter ${req.params.meterId}`);
        const after = Number(req.query.get('after') ?? '0');
        const waitMs = Math.min(60_000, Number(req.query.get('waitMs') ?? '0'));
        if (!Number.isFinite(after) || !Number.isFinite(waitMs) || waitMs < 0) throw new HttpProblem(400, 'after and waitMs must be numbers (ms)');
        const fresh = () => latest !== null && latest.sample.sampleMs > after;
        if (!fresh() && waitMs > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            const wake = () => {
              clearTimeout(timer);
              resolve();
            };
            waiters.add(wake);
            void req.closed.then(wake);
          });
        }
        if (!fresh()) return { status: 204 };
        const m: BreakerMeasurementWire = { bootId: service.bootId, meterId, sampleTime: new Date(latest!.sample.sampleMs).toISOString(), phases: wirePhases(latest!.sample.powerKw, latest!.seq) };
        return { status: 200, body: m };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/controllers/:controllerId/setpoints',
      handler: async (req) => {
        const id = req.params.controllerId!;
        if (!controllers.has(id)) throw new HttpProblem(404, `no controller ${id}`);
        const b = req.body as ControllerSetpointRequest | undefined;
        const key = req.headers['idempotency-key'] as string | undefined;
        const rated = controllers.ratedKw(id);
        const toKw = (value: number, unit: string): number => {
          if (!Number.isFinite(value)) throw new HttpProblem(400, `value must be a finite number, got ${value}`);
          if (unit === 'kW') return value;
          if (unit === '%') {
            if (rated === null) throw new HttpProblem(422, `${id} has no rating: send kW`);
            return (value / 100) * rated;
          }
          throw new HttpProblem(422, `${id} does not take ${unit} setpoints (this controller holds power, not a state-of-charge target)`, { controllerId: id });
        };
        if (!b || (b.type !== 'setpoint' && b.type !== 'schedule')) throw new HttpProblem(400, 'body must be a setpoint or a schedule (see dso-platform.json)');
        if (b.type === 'setpoint') {
          const kw = b.value === null ? null : toKw(b.value, b.unit);
          const untilMs = Date.parse(b.validUntil);
          if (!Number.isFinite(untilMs)) throw new HttpProblem(400, `validUntil must be a date-time, got ${JSON.stringify(b.validUntil)}`);
          return idempotency.run(key, { id, b }, async () => {
            const out = await controllers.write(id, kw, untilMs);
            if (out.kind === 'no-answer') return { status: 504, body: { error: `${id} did not answer` } };
            if (out.kind === 'rejected') return { status: 422, body: { error: out.error } };
            idempotency.applied++;
            const answer: ControllerSetpointAnswer = { commandId: key!, controllerId: id, status: 'applied', appliedAt: new Date(controllers.nowMs()).toISOString() };
            return { status: 200, body: answer };
          });
        }
        const packages = b.packages.map((p) => ({ fromMs: Date.parse(p.from), toMs: Date.parse(p.to), kw: toKw(p.value, b.unit) }));
        if (packages.some((p) => !(p.toMs > p.fromMs))) throw new HttpProblem(400, 'every package needs from < to (date-times)');
        return idempotency.run(key, { id, b }, async () => {
          for (const p of packages) controllers.schedule(p.fromMs, () => void controllers.write(id, p.kw, p.toMs));
          const answer: ControllerSetpointAnswer = { commandId: key!, controllerId: id, status: 'scheduled', appliedAt: new Date(controllers.nowMs()).toISOString() };
          return { status: 200, body: answer };
        });
      },
    },
  ]);
  return {
    service,
    idempotency,
    publish(sample) {
      latest = { sample, seq: ++seq };
      for (const w of waiters) w();
      waiters.clear();
    },
  };
}

export function weatherServer(role: string, opts: JsonServerOptions, forecastJson: string | null, isMissing: () => boolean): LabService {
  const body = forecastJson === null ? null : (JSON.parse(forecastJson) as unknown);
  return new LabService(role, opts, [
    {
      method: 'GET',
      pattern: '/v1/forecast',
      open: true,
      handler: () => {
        if (isMissing() || body === null) return { status: 503, body: { error: true, reason: 'forecast service unavailable' } };
        return { status: 200, body };
      },
    },
  ]);
}
