/**
 * Flexibility bands over time, exhaustion and feasibility (UC2-K01; step 9 of the use case).
 *
 * Bands are absolute powers in the load frame: for each asset the least (F⁻) and most (F⁺) power it can
 * run at. Storages: ±rating, limited by what their state of charge allows; heat pumps: 0 … rated power,
 * limited by min on/off times and by the comfort band; curtailable PV: it can feed in less, up to its
 * forecast generation. The community's breaker range is the forecast residual plus the sum of the bands.
 *
 * - "now": what each asset can do at this instant;
 * - the profile, per 15-minute slot k: the constant power each asset can HOLD from now to the end of slot k
 *   (`storageBand` and `heatPumpBand` of `../flexibility.ts` over that horizon), so the band narrows with
 *   k as energy and comfort limits bite.
 *
 * `feasibility` and `predictedExhaustionAt` walk the slots forward with the storages pooled (BESS and
 * available household storages, grid-side energy with η = √round-trip) and the heat pumps as one thermal
 * fleet (exact first-order model): in each slot the assets aim at the tolerance band's edge nearest to doing
 * nothing (storages idle, heat pumps at their thermostat demand), storages first, then heat pumps, then
 * curtailment; the target is held until the first moment that edge is out of reach (within a slot, the
 * moment the pooled storage energy runs out). It is a fast, explainable estimate — the optimiser's LP is the
 * reference — and the tests check it by hand.
 */
import { heatPumpBand, storageBand } from '../flexibility.js';
import { localDateParts } from '../models/load/index.js';
import { heatPumpPowerBounds } from '../optimiser/dispatch.js';
import type { HeatPumpFleetInput, HeatPumpUnitState, StorageFleetInput, StorageUnitState } from '../optimiser/types.js';

export interface FlexState {
  nowMs: number;
  bess: StorageUnitState | null;
  households: StorageFleetInput[];
  heatPumps: HeatPumpFleetInput[];
  /** IANA zone for the times in messages. */
  timeZone: string;
}

export interface FlexForecasts {
  /** Slot length, s (900). Slot 0 starts at `FlexState.nowMs`. */
  stepS: number;
  /** Forecast uncontrolled power per slot, kW (loads + PV incl. curtailable). NaN = unknown. */
  residualKw: ArrayLike<number>;
  /** Forecast outdoor temperature per slot, °C. */
  outdoorC: ArrayLike<number>;
  /** Forecast curtailable PV per slot, kW (≤ 0). */
  curtailablePvKw?: ArrayLike<number>;
}

export interface AssetBand {
  id: string;
  kind: 'bess' | 'householdStorage' | 'heatPump' | 'pv';
  nowDownKw: number;
  nowUpKw: number;
  /** Per slot k: the constant power holdable from now to the end of slot k. */
  downKw: Float64Array;
  upKw: Float64Array;
}

export interface FlexibilityProfile {
  startMs: number;
  stepS: number;
  assets: AssetBand[];
  community: {
    nowDownKw: number;
    nowUpKw: number;
    downKw: Float64Array;
    upKw: Float64Array;
    /** Forecast residual + band: the breaker power the community can hold, per slot. */
    breakerMinKw: Float64Array;
    breakerMaxKw: Float64Array;
  };
}

function storageNow(s: StorageUnitState): { down: number; up: number } {
  if (!s.available) return { down: s.powerKw, up: s.powerKw };
  return { down: s.socPct > s.socMinPct ? -s.powerRatingKw : 0, up: s.socPct < s.socMaxPct ? s.powerRatingKw : 0 };
}

function storageProfile(s: StorageUnitState, slots: number, stepS: number): { down: Float64Array; up: Float64Array } {
  const down = new Float64Array(slots);
  const up = new Float64Array(slots);
  for (let k = 0; k < slots; k++) {
    if (!s.available) {
      down[k] = s.powerKw;
      up[k] = s.powerKw;
      continue;
    }
    const b = storageBand(s.powerRatingKw, s.energyKwh, s.socPct, s.socMinPct, s.socMaxPct, s.roundTripEfficiency, (k + 1) * stepS);
    down[k] = b.downKw;
    up[k] = b.upKw;
  }
  return { down, up };
}

function heatPumpLocked(m: HeatPumpUnitState): boolean {
  return m.msSinceSwitch < (m.on ? m.minOnS : m.minOffS) * 1000;
}

function heatPumpNow(m: HeatPumpUnitState): { down: number; up: number } {
  const p = m.on ? m.powerKw : 0;
  if (!m.available || heatPumpLocked(m)) return { down: p, up: p };
  return { down: m.indoorC <= m.indoorMinC ? m.powerKw : 0, up: m.indoorC >= m.indoorMaxC ? 0 : m.powerKw };
}

function heatPumpProfile(m: HeatPumpUnitState, outdoorC: ArrayLike<number>, slots: number, stepS: number): { down: Float64Array; up: Float64Array } {
  const down = new Float64Array(slots);
  const up = new Float64Array(slots);
  let sumOut = 0;
  const locked = heatPumpLocked(m);
  const lockedS = locked ? (m.on ? m.minOnS : m.minOffS) - m.msSinceSwitch / 1000 : 0;
  for (let k = 0; k < slots; k++) {
    sumOut += Number.isFinite(outdoorC[k]!) ? outdoorC[k]! : 10;
    if (!m.available) {
      down[k] = up[k] = m.on ? m.powerKw : 0;
      continue;
    }
    const horizonS = (k + 1) * stepS;
    const b = heatPumpBand(m, m.indoorC, sumOut / (k + 1), horizonS);
    // A min on/off lock fixes part of the horizon.
    const lockShare = Math.min(1, lockedS / horizonS);
    down[k] = m.on ? Math.max(b.downKw, m.powerKw * lockShare) : b.downKw * (1 - lockShare);
    up[k] = m.on ? b.upKw : Math.min(b.upKw, m.powerKw * (1 - lockShare));
  }
  return { down, up };
}

/** Bands now and per slot for every asset and the community (see the file comment). */
export function flexibilityProfile(state: FlexState, forecasts: FlexForecasts, slots: number): FlexibilityProfile {
  const stepS = forecasts.stepS;
  const assets: AssetBand[] = [];
  if (state.bess) {
    const now = storageNow(state.bess);
    const prof = storageProfile(state.bess, slots, stepS);
    assets.push({ id: state.bess.id, kind: 'bess', nowDownKw: now.down, nowUpKw: now.up, downKw: prof.down, upKw: prof.up });
  }
  for (const f of state.households) {
    for (const m of f.members) {
      const now = storageNow(m);
      const prof = storageProfile(m, slots, stepS);
      assets.push({ id: m.id, kind: 'householdStorage', nowDownKw: now.down, nowUpKw: now.up, downKw: prof.down, upKw: prof.up });
    }
  }
  for (const f of state.heatPumps) {
    for (const m of f.members) {
      const now = heatPumpNow(m);
      const prof = heatPumpProfile(m, forecasts.outdoorC, slots, stepS);
      assets.push({ id: m.id, kind: 'heatPump', nowDownKw: now.down, nowUpKw: now.up, downKw: prof.down, upKw: prof.up });
    }
  }
  if (forecasts.curtailablePvKw) {
    const up = new Float64Array(slots);
    // Holdable from now to slot k: the least curtailable generation over that span.
    let least = Infinity;
    for (let k = 0; k < slots; k++) {
      least = Math.min(least, Math.max(0, -(forecasts.curtailablePvKw[k] ?? 0)));
      up[k] = Number.isFinite(least) ? least : 0;
    }
    assets.push({ id: 'curtailable-pv', kind: 'pv', nowDownKw: 0, nowUpKw: up[0] ?? 0, downKw: new Float64Array(slots), upKw: up });
  }
  const downKw = new Float64Array(slots);
  const upKw = new Float64Array(slots);
  let nowDownKw = 0;
  let nowUpKw = 0;
  for (const a of assets) {
    nowDownKw += a.nowDownKw;
    nowUpKw += a.nowUpKw;
    for (let k = 0; k < slots; k++) {
      downKw[k] = downKw[k]! + a.downKw[k]!;
      upKw[k] = upKw[k]! + a.upKw[k]!;
    }
  }
  const breakerMinKw = new Float64Array(slots);
  const breakerMaxKw = new Float64Array(slots);
  for (let k = 0; k < slots; k++) {
    const r = forecasts.residualKw[k] ?? Number.NaN;
    breakerMinKw[k] = r + downKw[k]!;
    breakerMaxKw[k] = r + upKw[k]!;
  }
  return { startMs: state.nowMs, stepS, assets, community: { nowDownKw, nowUpKw, downKw, upKw, breakerMinKw, breakerMaxKw } };
}

export interface Feasibility {
  feasible: boolean;
  /** Until when the target can be held (≥ start + duration when feasible). */
  holdUntilMs: number;
  /** What runs out first: asset ids, or null when feasible. */
  limitingAsset: string | null;
  /** For the operator, e.g. "can hold −150 kW for 2 h: until 12:40". */
  message: string;
}

interface WalkResult {
  holdUntilMs: number;
  limitingAsset: string | null;
  reason: string;
}

/** Walks the slots forward (see the file comment) and returns when the target stops being holdable. */
function walk(targetKw: number, toleranceKw: number, horizonMs: number, state: FlexState, fc: FlexForecasts): WalkResult {
  const stepS = fc.stepS;
  const dtH = stepS / 3600;
  const stepMs = stepS * 1000;
  const storages = [...(state.bess ? [state.bess] : []), ...state.households.flatMap((f) => f.members)].filter((s) => s.available);
  let fixedKw = 0;
  if (state.bess && !state.bess.available) fixedKw += state.bess.powerKw;
  for (const f of state.households) for (const m of f.members) if (!m.available) fixedKw += m.powerKw;
  for (const f of state.heatPumps) for (const m of f.members) if (!m.available && m.on) fixedKw += m.powerKw;
  const storageIds = storages.map((s) => s.id);
  let powerKw = 0;
  let dischargeKwh = 0; // grid-side energy the pool can still deliver
  let chargeKwh = 0; // grid-side energy the pool can still take
  for (const s of storages) {
    const eta = Math.sqrt(s.roundTripEfficiency);
    powerKw += s.powerRatingKw;
    dischargeKwh += Math.max(0, ((s.socPct - s.socMinPct) / 100) * s.energyKwh) * eta;
    chargeKwh += Math.max(0, ((s.socMaxPct - s.socPct) / 100) * s.energyKwh) / eta;
  }
  // Heat-pump fleets as thermal pools.
  const fleets = state.heatPumps.map((f) => {
    const members = f.members.filter((m) => m.available);
    const capacity = members.reduce((s, m) => s + m.capacityKwhPerK, 0);
    const ua = members.reduce((s, m) => s + m.lossKwPerK, 0);
    const power = members.reduce((s, m) => s + m.powerKw, 0);
    const cop = power > 0 ? members.reduce((s, m) => s + m.cop * m.powerKw, 0) / power : 1;
    const tMin = capacity > 0 ? members.reduce((s, m) => s + m.capacityKwhPerK * m.indoorMinC, 0) / capacity : 0;
    const band = members.reduce((s, m) => s + m.capacityKwhPerK * (m.indoorMaxC - m.indoorMinC), 0);
    const heat = members.reduce((s, m) => s + m.capacityKwhPerK * (m.indoorC - m.indoorMinC), 0);
    const slots = Math.max(1, Math.ceil(horizonMs / stepMs));
    const bounds = heatPumpPowerBounds(members, slots, stepMs);
    return { id: f.id, members, capacity, ua, power, cop, tMin, band, heat, bounds };
  });
  const slots = Math.ceil(horizonMs / stepMs);
  const fleetIds = fleets.filter((f) => f.capacity > 0).map((f) => f.id);
  /**
   * The target is out of reach in the slot starting at `slotStart`: the storages would have to run at
   * `storageNeedKw` with `energyKwh` left. Within the slot they last energy/power; beyond their power, not at all.
   */
  const shortfall = (slotStart: number, storageNeedKw: number, energyKwh: number, emptyReason: string): WalkResult => {
    if (storageNeedKw > powerKw + 1e-9) {
      return { holdUntilMs: slotStart, limitingAsset: [...storageIds, ...fleetIds].join(', ') || null, reason: 'not enough power (storages and heat pumps at their limits)' };
    }
    const frac = Math.max(0, Math.min(1, energyKwh / (storageNeedKw * dtH)));
    return { holdUntilMs: slotStart + Math.floor(frac * stepMs), limitingAsset: storageIds.join(', ') || null, reason: emptyReason };
  };
  for (let k = 0; k < slots; k++) {
    const slotStart = state.nowMs + k * stepMs;
    const r = fc.residualKw[k];
    if (r === undefined || !Number.isFinite(r)) return { holdUntilMs: slotStart, limitingAsset: null, reason: 'no forecast beyond this time' };
    const tOut = Number.isFinite(fc.outdoorC[k] ?? Number.NaN) ? fc.outdoorC[k]! : 10;
    const lo = targetKw - toleranceKw - r - fixedKw;
    const hi = targetKw + toleranceKw - r - fixedKw;
    // Heat pumps: the range each fleet can run at in this slot, and its thermostat demand.
    let hpLo = 0;
    let hpHi = 0;
    let hpFree = 0;
    const hpState = fleets.map((f) => {
      if (f.capacity === 0) return { lo: 0, hi: 0, free: 0, a: 1, base: f.heat, gain: 0 };
      const a = f.ua > 0 ? Math.exp((-f.ua * dtH) / f.capacity) : 1;
      const base = a * f.heat + (f.ua > 0 ? (1 - a) * f.capacity * (tOut - f.tMin) : 0);
      const gain = f.ua > 0 ? ((1 - a) * f.capacity * f.cop) / f.ua : dtH * f.cop;
      const minP = Math.max(f.bounds.lower[k] ?? 0, (0 - base) / gain);
      const maxP = Math.min(f.bounds.upper[k] ?? f.power, (f.band - base) / gain);
      const loP = Math.min(Math.max(0, minP), f.power);
      const hiP = Math.max(loP, Math.min(f.power, maxP));
      // Thermostat demand: keep the heat content where it is.
      const free = Math.min(hiP, Math.max(loP, (f.heat - base) / gain));
      hpLo += loP;
      hpHi += hiP;
      hpFree += free;
      return { lo: loP, hi: hiP, free, a, base, gain };
    });
    const curtailCap = fc.curtailablePvKw ? Math.max(0, -(fc.curtailablePvKw[k] ?? 0)) : 0;
    const storageMaxUp = Math.min(powerKw, chargeKwh / dtH);
    const storageMaxDown = Math.min(powerKw, dischargeKwh / dtH);
    // Aim at the edge nearest to doing nothing.
    let storageKw = 0;
    let hpKw = hpFree;
    let curtailKw = 0;
    if (hpKw < lo) {
      const need = lo - hpKw;
      storageKw = Math.min(need, storageMaxUp);
      hpKw = Math.min(hpHi, hpKw + (need - storageKw));
      curtailKw = Math.min(curtailCap, Math.max(0, lo - storageKw - hpKw));
      if (storageKw + hpKw + curtailKw < lo - 1e-9) return shortfall(slotStart, lo - (hpHi + curtailCap), chargeKwh, 'storages are full');
    } else if (hpKw > hi) {
      const need = hpKw - hi;
      storageKw = -Math.min(need, storageMaxDown);
      hpKw = Math.max(hpLo, hpKw - (need + storageKw));
      if (storageKw + hpKw > hi + 1e-9) return shortfall(slotStart, hpLo - hi, dischargeKwh, 'storages are empty');
    }
    // Step the pools.
    if (storageKw > 0) chargeKwh -= storageKw * dtH;
    if (storageKw < 0) dischargeKwh += storageKw * dtH;
    // Grid-side energy moves both pools: what is charged can be discharged later (after two conversions).
    if (storageKw > 0) dischargeKwh += storageKw * dtH * avgRoundTrip(storages);
    if (storageKw < 0) chargeKwh -= (storageKw * dtH) / avgRoundTrip(storages);
    // Spread the fleet power change over fleets in proportion to their range.
    const span = hpHi - hpLo;
    fleets.forEach((f, i) => {
      const s = hpState[i]!;
      const p = span > 1e-9 ? s.lo + ((hpKw - hpLo) / span) * (s.hi - s.lo) : s.lo;
      f.heat = s.base + s.gain * p;
    });
  }
  return { holdUntilMs: state.nowMs + horizonMs, limitingAsset: null, reason: '' };
}

function avgRoundTrip(storages: StorageUnitState[]): number {
  if (storages.length === 0) return 1;
  return storages.reduce((s, x) => s + x.roundTripEfficiency, 0) / storages.length;
}

function clock(timeMs: number, timeZone: string): string {
  const p = localDateParts(timeMs, timeZone);
  const hh = Math.floor(p.minuteOfDay / 60);
  const mm = p.minuteOfDay % 60;
  return `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
}

function duration(durationS: number): string {
  if (durationS % 3600 === 0) return `${durationS / 3600} h`;
  if (durationS % 60 === 0) return `${durationS / 60} min`;
  return `${durationS} s`;
}

function signedKw(kw: number): string {
  return `${kw < 0 ? '−' : ''}${Math.abs(kw)} kW`;
}

/**
 * Can the community hold `targetKw` ± `toleranceKw` for `durationS` from `state.nowMs`, given the forecasts
 * and the energy in its storages? (See the file comment for how it is estimated.)
 */
export function feasibility(targetKw: number, durationS: number, toleranceKw: number, state: FlexState, forecasts: FlexForecasts): Feasibility {
  const w = walk(targetKw, toleranceKw, durationS * 1000, state, forecasts);
  const endMs = state.nowMs + durationS * 1000;
  const feasible = w.holdUntilMs >= endMs;
  const what = `${signedKw(targetKw)} for ${duration(durationS)}`;
  return {
    feasible,
    holdUntilMs: w.holdUntilMs,
    limitingAsset: feasible ? null : w.limitingAsset,
    message: feasible
      ? `can hold ${what}: until ${clock(endMs, state.timeZone)}`
      : `cannot hold ${what}: only until ${clock(w.holdUntilMs, state.timeZone)} (${w.reason})`,
  };
}

/**
 * The first time the target can no longer be held given the forecasts and the storage energy, looking as
 * far as the forecasts reach; null when it can be held throughout.
 */
export function predictedExhaustionAt(targetKw: number, toleranceKw: number, state: FlexState, forecasts: FlexForecasts): number | null {
  const horizonMs = forecasts.residualKw.length * forecasts.stepS * 1000;
  const w = walk(targetKw, toleranceKw, horizonMs, state, forecasts);
  return w.holdUntilMs < state.nowMs + horizonMs && w.reason !== 'no forecast beyond this time' ? w.holdUntilMs : null;
}
