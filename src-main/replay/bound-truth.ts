/**
 * The truth the physical limit (`engine/optimiser/bound.ts`) is computed from, built from a scenario: what
 * the meter would report at every breaker sample without any dispatched flexibility, the faults, the
 * asset limits and the assets' state when each trigger arrived; and the runs the engine would make of
 * the scenario's triggers. Pure (no file system): the caller passes the loaded scenario and the solver.
 *
 * ## The truth pass
 * One pass of the plant and the simulated field with no EMS (as `oracleTruth` in `replay.ts` does): loads,
 * PV, recorded series, the outdoor temperature and the breaker meter's noise do not depend on control
 * (every one is drawn from its own seeded stream), so the pass gives them exactly as every replay sees them:
 * - U_k = loads + PV (uncurtailed) + series at the sample instant + the meter's noise at that sample (the
 *   same `sensor:breaker` stream, one draw per sample); what the flexible assets add is the bound's to choose;
 * - the sensor status per sample: `ok` → valid, `nan` → recorded invalid, `dropout` → not recorded,
 *   `stuck` → free (see `bound.ts`);
 * - the curtailable PV per sample, the outdoor temperature per breaker period;
 * - the state of every storage and heat pump at every sample, for the initial states below.
 *
 * ## The runs
 * As the engine makes them from `triggersOf(scenario)`: an announced trigger is cancelled when another is
 * received before (or at) its start; a trigger that begins ends the run in force (`superseded`, or
 * `operator-stop` for use case 0); a run with a duration ends when it elapses; what is in force at the end
 * of the scenario ends there (the engine ends it 1 ms before the plant's end). The requested span is
 * `requestedSpan(...)` of that run (the bound's run never ends by exhaustion or fault). Triggers the
 * engine would refuse (`validateTrigger`) are not filtered here: scenario validation rejects them first.
 *
 * ## Initial states (an upper bound for every controller)
 * The EMS does nothing before the scenario's first trigger is received (no run, nothing to prepare), so up
 * to that moment the plant's state is exactly the no-EMS pass's. From then on what the state is depends on
 * what the controller did, so the bound starts each run from every state REACHABLE since then:
 * - the known moment Z = the earlier of the first trigger's receipt (on the sample grid, rounded down) and the
 *   start of the run's first breaker period;
 * - a storage (the BESS; a household fleet pooled) may be anywhere in
 *   [E(Z) − P·τ/η, E(Z) + η·P·τ] ∩ [E_min, E_max], τ = the time from Z to the run's first period;
 * - a heat-pump fleet's mean temperature anywhere in the envelope of full heating / no heating from
 *   T(Z), clipped to the band the devices keep (below).
 * For the first run of an immediate first trigger τ = 0: the state is exact. For a later run (or an
 * announced one, which may prepare from its receipt) the bound picks the best reachable state, which is at
 * least as good as the state any controller left behind.
 *
 * ## The heat pumps' band
 * The fleet's mean indoor temperature is kept in [T_min − ε⁻, T_max + ε⁺], and in the envelope the physics
 * allows (a summer house warms above T_max with the pump off; a cold one may cool below T_min with it on).
 * ε covers what each device's own rules let it overshoot: at T_min it switches on unless its minimum off
 * time blocks it; it switched off either by its thermostat (above setpoint + hysteresis, or at T_max),
 * after which it cools for at most `minOffS`, or on a dispatch it checked would keep it in band for
 * `minOffS`. So ε⁻ = max(0, T_min − (min(setpoint + hysteresis, T_max) − cooling rate · minOffS)) + δ, and
 * ε⁺ likewise with heating, `minOnS` and setpoint − hysteresis; δ = 0.05 K + two plant steps at the
 * fastest rate (the device's closed-form check at a constant outdoor temperature, one step of overshoot).
 */
import { VirtualClock } from '../engine/clock.js';
import { targetOfTrigger } from '../engine/engine.js';
import type { EndReason, Trigger } from '../engine/model.js';
import type { BoundHeatPumpFleet, BoundProblem, BoundResult, BoundStatus, BoundStorage } from '../engine/optimiser/bound.js';
import { SAMPLE_ABSENT, SAMPLE_FREE, SAMPLE_INVALID, SAMPLE_VALID, solveBound } from '../engine/optimiser/bound.js';
import type { MipSolver } from '../engine/optimiser/mip.js';
import type { RequestedBasis } from '../engine/kpi/requested-span.js';
import { requestedSpan } from '../engine/kpi/requested-span.js';
import type { HeatPumpAsset } from '../engine/scenario/index.js';
import { SimulatedField } from '../sim/field.js';
import { THERMOSTAT_HYSTERESIS_K } from '../sim/heat-pump.js';
import { Plant } from '../sim/plant.js';
import type { ReplayInputs } from './replay.js';
import { triggersOf } from './replay.js';

export type BoundTruthInputs = Pick<ReplayInputs, 'scenario' | 'weatherActual' | 'series' | 'loadProfiles'>;

/** The no-EMS pass, per breaker sample. */
export interface ScenarioTruth {
  stepS: number;
  /** Sample k is at firstSampleMs + k·stepS. */
  firstSampleMs: number;
  endMs: number;
  uncontrolledKw: Float64Array;
  sampleKind: Uint8Array;
  curtailableKw: Float64Array;
  /** Mean outdoor temperature over the period before each sample. */
  outdoorC: Float64Array;
  /** Per storage group (the BESS; each household asset pooled), its energy at each sample, kWh. */
  storages: Array<{
    id: string;
    limits: Omit<BoundStorage, 'initialKwh'>;
    energyKwh: Float64Array;
    powerLimitKw?: Float64Array;
    /** A community BESS: its response delay and ramp (key data), for the start of a run from idle. */
    bess?: { responseDelayS: number; rampKwPerS: number };
  }>;
  /** Per heat-pump asset, the members' mean indoor temperature at each sample, °C. */
  heatPumps: Array<{ id: string; asset: HeatPumpAsset; meanC: Float64Array }>;
}

/** A run the engine makes of the scenario's triggers, as the bound sees it. */
export interface BoundRun {
  triggerIndex: number;
  trigger: Trigger;
  startMs: number;
  endMs: number;
  endReason: EndReason;
  requested: { startMs: number; endMs: number; basis: RequestedBasis | null };
}

export interface BoundRunResult {
  triggerIndex: number;
  triggerId: string;
  receivedAt: string;
  startAt: string;
  useCase: number;
  requestedStartAt: string;
  requestedEndAt: string;
  requestedS: number;
  requestedBasis: RequestedBasis | null;
  /** The time of the problem's first breaker sample (`result`'s per-sample arrays start there). */
  firstSampleAt: string;
  heldS: number;
  heldPct: number | null;
  energyErrorKwh: number;
  status: BoundStatus;
  solveTimeMs: number;
  /** The whole result of the solve (schedule, sample counts). */
  result: BoundResult;
}

const STATUS_KIND: Record<string, number> = { ok: SAMPLE_VALID, nan: SAMPLE_INVALID, dropout: SAMPLE_ABSENT, stuck: SAMPLE_FREE };

/** One pass of the plant and the field without an EMS (see the file header). */
export function scenarioTruth(inputs: BoundTruthInputs): ScenarioTruth {
  const { scenario } = inputs;
  const plant = new Plant({ scenario, weather: inputs.weatherActual, loadProfiles: inputs.loadProfiles, series: inputs.series });
  const clock = new VirtualClock(plant.startMs);
  const field = new SimulatedField(plant, clock, () => ({ ok: false, error: 'no forecast in the truth pass' }));
  const periodS = scenario.measurement.breakerPeriodS;
  const rows = Math.ceil((plant.endMs - plant.startMs) / (periodS * 1000));
  const uncontrolledKw = new Float64Array(rows);
  const sampleKind = new Uint8Array(rows).fill(SAMPLE_ABSENT);
  const curtailableKw = new Float64Array(rows);
  const outdoorSum = new Float64Array(rows + 1);
  const outdoorN = new Float64Array(rows + 1);

  const curtailable = plant.members.filter((m) => m.kind === 'pv' && scenario.assets.some((a) => a.id === m.assetId && a.kind === 'pv' && a.curtailable));
  // Storage groups: every BESS on its own, the members of a household asset pooled.
  const groups = new Map<string, { limits: Omit<BoundStorage, 'initialKwh'>; indices: number[]; energyKwh: Float64Array }>();
  for (const m of plant.members) {
    if (m.kind !== 'bess' && m.kind !== 'householdStorage') continue;
    const p = plant.storages[m.index]!.physics.params;
    const key = m.kind === 'bess' ? m.id : m.assetId;
    let g = groups.get(key);
    if (!g) {
      g = { limits: { id: key, powerKw: 0, minKwh: 0, maxKwh: 0, roundTripEfficiency: p.roundTripEfficiency }, indices: [], energyKwh: new Float64Array(rows) };
      groups.set(key, g);
    }
    g.limits.powerKw += p.powerKw;
    // See "the one modelling assumption" in bound.ts: P·d + P²/(2R), per member.
    g.limits.allowanceKwh = (g.limits.allowanceKwh ?? 0) + (p.powerKw * p.responseDelayS + (p.powerKw * p.powerKw) / (2 * p.rampKwPerS)) / 3600;
    g.limits.minKwh += (p.socMinPct / 100) * p.energyKwh;
    g.limits.maxKwh += (p.socMaxPct / 100) * p.energyKwh;
    g.indices.push(m.index);
  }
  const powerLimits = new Map<string, Float64Array>();
  for (const m of plant.members) {
    if (m.kind !== 'bess') continue;
    const limit = bessPowerLimitKw(scenario, plant, m, rows, periodS);
    if (limit) powerLimits.set(m.id, limit);
  }
  const fleets = new Map<string, { asset: HeatPumpAsset; indices: number[]; meanC: Float64Array }>();
  for (const m of plant.members) {
    if (m.kind !== 'heatPump') continue;
    const asset = scenario.assets.find((a): a is HeatPumpAsset => a.kind === 'heatPump' && a.id === m.assetId)!;
    let f = fleets.get(m.assetId);
    if (!f) {
      f = { asset, indices: [], meanC: new Float64Array(rows) };
      fleets.set(m.assetId, f);
    }
    f.indices.push(m.index);
  }

  const startMs = plant.startMs;
  const rowOf = (t: number): number => Math.round((t - startMs) / (periodS * 1000));
  field.onBreakerSampleTaken = (rec) => {
    const k = rowOf(rec.sampleMs);
    if (k < 0 || k >= rows) return;
    let u = 0;
    for (let i = 0; i < plant.loadPowerKw.length; i++) u += plant.loadPowerKw[i]!;
    for (let i = 0; i < plant.pvPowerKw.length; i++) u += plant.pvPowerKw[i]!;
    for (let i = 0; i < plant.seriesPowerKw.length; i++) u += plant.seriesPowerKw[i]!;
    // The meter's noise is what it sent above the truth (it does not depend on control).
    const noise = rec.status === 'ok' && rec.sentKw !== null ? rec.sentKw - rec.trueKw : 0;
    uncontrolledKw[k] = u + noise;
    sampleKind[k] = STATUS_KIND[rec.status] ?? SAMPLE_INVALID;
    let curt = 0;
    for (const m of curtailable) curt += -plant.pvPowerKw[m.index]!;
    curtailableKw[k] = Math.max(0, curt);
    for (const g of groups.values()) {
      let e = 0;
      for (const i of g.indices) e += plant.storages[i]!.physics.energyKwh;
      g.energyKwh[k] = e;
    }
    for (const f of fleets.values()) {
      let s = 0;
      for (const i of f.indices) s += plant.heatPumps[i]!.indoorC;
      f.meanC[k] = s / f.indices.length;
    }
  };
  field.start();
  const stepMs = scenario.stepS * 1000;
  const steps = Math.round((plant.endMs - plant.startMs) / stepMs);
  for (let s = 0; s < steps; s++) {
    clock.runUntil(plant.nowMs);
    // This plant step integrates [now, now + step): it belongs to the period of the next sample.
    const k = Math.floor((plant.nowMs - startMs) / (periodS * 1000)) + 1;
    if (k <= rows) {
      outdoorSum[k] = outdoorSum[k]! + plant.outdoorC;
      outdoorN[k] = outdoorN[k]! + 1;
    }
    plant.step();
  }
  const outdoorC = new Float64Array(rows);
  let last = plant.outdoorC;
  for (let k = rows - 1; k >= 0; k--) {
    if (outdoorN[k]! > 0) last = outdoorSum[k]! / outdoorN[k]!;
    outdoorC[k] = outdoorN[k]! > 0 ? outdoorSum[k]! / outdoorN[k]! : last;
  }
  return {
    stepS: periodS,
    firstSampleMs: startMs,
    endMs: plant.endMs,
    uncontrolledKw,
    sampleKind,
    curtailableKw,
    outdoorC,
    storages: [...groups.values()].map((g) => {
      const limit = powerLimits.get(g.limits.id);
      const first = plant.storages[g.indices[0]!]!;
      const bess = first.household ? undefined : { responseDelayS: first.physics.params.responseDelayS, rampKwPerS: first.physics.params.rampKwPerS };
      return { id: g.limits.id, limits: g.limits, energyKwh: g.energyKwh, ...(limit ? { powerLimitKw: limit } : {}), ...(bess ? { bess } : {}) };
    }),
    heatPumps: [...fleets].map(([id, f]) => ({ id, asset: f.asset, meanC: f.meanC })),
  };
}

/**
 * A community BESS's power limit per sample row: 0 kW where it is certainly back at its default (0 kW)
 * because it is offline or rejects every write (SCENARIOS.md: "the plant keeps its last power until the
 * asset's own setpoint expiry returns it to its default behaviour"). The last write it accepted came before
 * the fault began, and the device caps every setpoint's lifetime at its own `ttlS`; after that, its response
 * delay, a full ramp to 0 and one breaker period of margin, no controller can move it until the fault ends.
 * Null when no fault touches it.
 */
function bessPowerLimitKw(scenario: BoundTruthInputs['scenario'], plant: Plant, m: Plant['members'][number], rows: number, periodS: number): Float64Array | null {
  const st = plant.storages[m.index]!;
  const p = st.physics.params;
  const lagMs = (st.ttlS + p.responseDelayS + p.powerKw / Math.max(1e-9, p.rampKwPerS) + periodS) * 1000;
  let limit: Float64Array | null = null;
  for (const f of scenario.faults) {
    if (f.kind !== 'assetOffline' && f.kind !== 'assetSetpointRejected') continue;
    if (!('asset' in f) || (f.asset !== m.id && f.asset !== m.assetId)) continue;
    const fromMs = Date.parse(f.at);
    const zeroFromMs = fromMs + lagMs;
    const toMs = fromMs + f.durationS * 1000;
    for (let k = 0; k < rows; k++) {
      const t = plant.startMs + k * periodS * 1000;
      if (t < zeroFromMs || t >= toMs) continue;
      limit ??= new Float64Array(rows).fill(p.powerKw);
      limit[k] = 0;
    }
  }
  return limit;
}

/** The runs the engine makes of the scenario's triggers (see the file header). */
export function boundRunsOf(scenario: BoundTruthInputs['scenario']): BoundRun[] {
  const triggers = triggersOf(scenario).map((t, i) => ({ t, i })).sort((a, b) => a.t.receivedMs - b.t.receivedMs || a.i - b.i);
  const scenarioEndMs = Date.parse(scenario.end);
  const finishMs = scenarioEndMs - 1;
  // Which triggers begin, and when: an announced one is cancelled by the next one received by its start.
  const begins: Array<{ t: Trigger; i: number; atMs: number }> = [];
  for (let k = 0; k < triggers.length; k++) {
    const { t, i } = triggers[k]!;
    const next = triggers[k + 1];
    if (t.startMs > t.receivedMs && next && next.t.receivedMs <= t.startMs) continue;
    if (t.startMs >= finishMs) continue;
    begins.push({ t, i, atMs: t.startMs });
  }
  begins.sort((a, b) => a.atMs - b.atMs || a.i - b.i);
  const runs: BoundRun[] = [];
  for (let k = 0; k < begins.length; k++) {
    const { t, i, atMs } = begins[k]!;
    if (t.useCase === 0) continue;
    const nextBegin = begins[k + 1];
    let endMs = finishMs;
    let endReason: EndReason = 'scenario-end';
    if (t.durationS !== null && atMs + t.durationS * 1000 < endMs) {
      endMs = atMs + t.durationS * 1000;
      endReason = 'duration-elapsed';
    }
    if (nextBegin && nextBegin.atMs <= endMs && !(endReason === 'duration-elapsed' && nextBegin.atMs === endMs)) {
      endMs = nextBegin.atMs;
      endReason = nextBegin.t.useCase === 0 ? 'operator-stop' : 'superseded';
    }
    // The next trigger received after this one (the engine finalises an open request with its start).
    const order = triggers.findIndex((x) => x.i === i);
    const nextReceived = triggers[order + 1]?.t ?? null;
    const span = requestedSpan({
      trigger: t,
      endReason,
      runEndMs: endMs,
      nextTriggerStartMs: nextReceived ? nextReceived.startMs : null,
      nextTriggerIsStop: nextReceived?.useCase === 0,
      recordingEndMs: endReason === 'scenario-end' ? endMs : finishMs,
    });
    runs.push({ triggerIndex: i, trigger: t, startMs: atMs, endMs, endReason, requested: { startMs: span.startMs, endMs: span.endMs ?? endMs, basis: span.basis } });
  }
  return runs;
}

/** The comfort margins of a heat-pump asset's fleet, K (see the file header). */
export function comfortMarginsK(a: HeatPumpAsset, outdoorMinC: number, outdoorMaxC: number, plantStepS: number): { below: number; above: number } {
  const th = a.thermal;
  const perS = 1 / (th.capacityKwhPerK * 3600);
  const coolKPerS = Math.max(0, th.lossKwPerK * (th.indoorMaxC + 1 - outdoorMinC)) * perS;
  const heatKPerS = Math.max(0, a.cop * a.powerKw + th.lossKwPerK * Math.max(0, outdoorMaxC - (th.indoorMinC - 1))) * perS;
  const delta = 0.05 + 2 * plantStepS * Math.max(coolKPerS, heatKPerS);
  const offAtC = Math.min(th.setpointC + THERMOSTAT_HYSTERESIS_K, th.indoorMaxC);
  const onAtC = Math.max(th.setpointC - THERMOSTAT_HYSTERESIS_K, th.indoorMinC);
  return {
    below: Math.max(0, th.indoorMinC - (offAtC - coolKPerS * a.minOffS)) + delta,
    above: Math.max(0, onAtC + heatKPerS * a.minOnS - th.indoorMaxC) + delta,
  };
}

/** The bound's problem of one run. */
export function boundProblemFor(inputs: BoundTruthInputs, run: BoundRun, truth: ScenarioTruth = scenarioTruth(inputs), idleAtArrival = false): BoundProblem {
  const { scenario } = inputs;
  const dtMs = truth.stepS * 1000;
  const rows = truth.uncontrolledKw.length;
  const k0 = Math.max(0, Math.ceil((run.requested.startMs - truth.firstSampleMs) / dtMs));
  let k1 = k0;
  while (k1 < rows && truth.firstSampleMs + k1 * dtMs < run.requested.endMs) k1++;
  const n = Math.max(0, k1 - k0);
  const firstSampleMs = truth.firstSampleMs + k0 * dtMs;

  const targetKw = new Float64Array(n);
  const toleranceKw = new Float64Array(n).fill(run.trigger.toleranceKw);
  for (let k = 0; k < n; k++) targetKw[k] = targetOfTrigger(run.trigger, firstSampleMs + k * dtMs)?.targetKw ?? NaN;

  // The known state: the first trigger's receipt (rounded down to the grid), or the run's first period if earlier.
  const firstReceivedMs = Math.min(...triggersOf(scenario).map((t) => t.receivedMs));
  const initMs = firstSampleMs - dtMs;
  const zRow = Math.max(0, Math.min(Math.floor((firstReceivedMs - truth.firstSampleMs) / dtMs), Math.round((initMs - truth.firstSampleMs) / dtMs)));
  const zMs = truth.firstSampleMs + zRow * dtMs;
  const tauH = Math.max(0, initMs - zMs) / 3_600_000;

  const storages: BoundStorage[] = truth.storages.map((s) => {
    const powerLimitKw = s.powerLimitKw ? s.powerLimitKw.slice(k0, k1) : idleAtArrival && s.bess ? new Float64Array(n).fill(s.limits.powerKw) : undefined;
    if (idleAtArrival && s.bess && powerLimitKw) {
      // At 0 kW when the trigger arrives; the first write goes out then, acts after the response delay and
      // ramps (one plant step of margin: the meter may sample after that step).
      const arrivalMs = run.trigger.receivedMs;
      for (let k = 0; k < n; k++) {
        const actingS = (firstSampleMs + k * dtMs - arrivalMs) / 1000 - s.bess.responseDelayS + scenario.stepS;
        powerLimitKw[k] = Math.min(powerLimitKw[k]!, Math.max(0, actingS) * s.bess.rampKwPerS);
      }
    }
    const e0 = s.energyKwh[zRow]!;
    const eta = Math.sqrt(s.limits.roundTripEfficiency);
    const lo = Math.min(e0, Math.max(s.limits.minKwh, e0 - (s.limits.powerKw * tauH) / eta));
    const hi = Math.max(e0, Math.min(s.limits.maxKwh, e0 + s.limits.powerKw * eta * tauH));
    return {
      ...s.limits,
      initialKwh: tauH > 0 ? { min: lo, max: hi } : { min: e0, max: e0 },
      ...(powerLimitKw ? { powerLimitKw } : {}),
    };
  });

  let outMin = Infinity;
  let outMax = -Infinity;
  for (let k = 0; k < rows; k++) {
    outMin = Math.min(outMin, truth.outdoorC[k]!);
    outMax = Math.max(outMax, truth.outdoorC[k]!);
  }
  const heatPumps: BoundHeatPumpFleet[] = truth.heatPumps.map((h) => {
    const a = h.asset;
    const th = a.thermal;
    const margin = comfortMarginsK(a, outMin, outMax, scenario.stepS);
    const bandLo = th.indoorMinC - margin.below;
    const bandHi = th.indoorMaxC + margin.above;
    // Per-member envelope from the known state to the run's first period (full heating / none, clipped to
    // what the device allows: it heats no further than the band's top, and no colder than its bottom).
    const alpha = Math.exp((-th.lossKwPerK * truth.stepS) / (th.capacityKwhPerK * 3600));
    const stepOf = (t: number, on: boolean, out: number): number => alpha * t + (1 - alpha) * (out + (on ? (a.cop * a.powerKw) / th.lossKwPerK : 0));
    let lo = h.meanC[zRow]!;
    let hi = lo;
    const advance = (out: number): void => {
      hi = Math.min(Math.max(bandHi, stepOf(hi, false, out)), stepOf(hi, true, out));
      lo = Math.max(Math.min(bandLo, stepOf(lo, true, out)), stepOf(lo, false, out));
    };
    for (let k = zRow + 1; k <= zRow + Math.round((initMs - zMs) / dtMs); k++) advance(truth.outdoorC[Math.min(rows - 1, k)]!);
    const initialC = { min: Math.min(lo, hi), max: Math.max(lo, hi) };
    // The same envelope on through the run: no member can be outside it, so neither can their mean.
    const minC = new Float64Array(n);
    const maxC = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      advance(truth.outdoorC[k0 + k]!);
      minC[k] = Math.min(lo, hi);
      maxC[k] = Math.max(lo, hi);
    }
    return {
      id: h.id,
      count: a.count,
      powerKw: a.powerKw,
      cop: a.cop,
      capacityKwhPerK: th.capacityKwhPerK,
      lossKwPerK: th.lossKwPerK,
      minC,
      maxC,
      initialC,
    };
  });

  return {
    stepS: truth.stepS,
    firstSampleMs,
    uncontrolledKw: truth.uncontrolledKw.slice(k0, k1),
    sampleKind: truth.sampleKind.slice(k0, k1),
    targetKw,
    toleranceKw,
    outdoorC: truth.outdoorC.slice(k0, k1),
    curtailableKw: truth.curtailableKw.slice(k0, k1),
    requested: { startMs: run.requested.startMs, endMs: run.requested.endMs },
    storages,
    heatPumps,
  };
}

/**
 * Whether the EMS holds nothing when the run's trigger arrives, so the community BESS is at its 0 kW default:
 * no other run in force (nor one that ended so recently that the BESS may still be ramping down from it),
 * and no announced trigger waiting to start (the EMS may prepare for it). A controller may do nothing
 * outside a run or its preparation ("nothing stays in force unconfirmed"), and it cannot know a trigger
 * before it arrives: the trigger is not part of the foresight the bound is given (KPI.md: "starting from
 * the assets' state when the trigger arrived").
 */
function idleAtArrival(run: BoundRun, runs: BoundRun[], triggers: Trigger[], truth: ScenarioTruth): boolean {
  const arrivalMs = run.trigger.receivedMs;
  let settleMs = 0;
  for (const s of truth.storages) if (s.bess) settleMs = Math.max(settleMs, (s.bess.responseDelayS + s.limits.powerKw / Math.max(1e-9, s.bess.rampKwPerS) + truth.stepS) * 1000);
  for (const o of runs) if (o !== run && o.startMs <= arrivalMs && arrivalMs < o.endMs + settleMs) return false;
  for (const t of triggers) if (t.id !== run.trigger.id && t.useCase !== 0 && t.receivedMs <= arrivalMs && t.startMs > arrivalMs) return false;
  return true;
}

/** The physical limit of every run of the scenario. */
export function boundOfScenario(inputs: BoundTruthInputs, solver: MipSolver, options: { timeLimitS?: number } = {}): BoundRunResult[] {
  const runs = boundRunsOf(inputs.scenario);
  if (runs.length === 0) return [];
  const truth = scenarioTruth(inputs);
  const triggers = triggersOf(inputs.scenario);
  return runs.map((run) => {
    const problem = boundProblemFor(inputs, run, truth, idleAtArrival(run, runs, triggers, truth));
    if (options.timeLimitS !== undefined) problem.timeLimitS = options.timeLimitS;
    const result = solveBound(problem, solver);
    const iso = (ms: number): string => new Date(ms).toISOString();
    return {
      triggerIndex: run.triggerIndex,
      triggerId: run.trigger.id,
      receivedAt: iso(run.trigger.receivedMs),
      startAt: iso(run.startMs),
      useCase: run.trigger.useCase,
      requestedStartAt: iso(run.requested.startMs),
      requestedEndAt: iso(run.requested.endMs),
      requestedS: result.requestedS,
      requestedBasis: run.requested.basis,
      firstSampleAt: iso(problem.firstSampleMs),
      heldS: result.heldS,
      heldPct: result.heldPctOfRequested,
      energyErrorKwh: result.energyErrorKwh,
      status: result.status,
      solveTimeMs: result.solveTimeMs,
      result,
    };
  });
}
