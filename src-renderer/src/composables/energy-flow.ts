/**
 * The Now view's energy-flow picture, as numbers: who draws how much from the community's bus and in which
 * direction, and where the operator's request sits in the flexibility band. Pure functions of the live
 * picture, unit-tested without a DOM (`test/unit/renderer/energy-flow.test.ts`).
 *
 * One sign convention (`src-main/engine/model.ts`): power in kW, positive where it is drawn from the grid at
 * that point — import at the breaker, charging at a battery, consuming at a load or heat pump; PV is
 * negative when it generates. So the grid's power flows *into* the community when positive, and an
 * asset's *out of* the community (into the asset) when positive.
 */
import type { AssetRow, LiveState, SeriesData } from '../api';

export type FlowNodeId = 'grid' | 'pv' | 'households' | 'uncontrolled' | 'heatPumps' | 'householdStorage' | 'bess';

/** Which way the power goes along the line between a node and the community's bus. */
export type FlowDirection = 'toBus' | 'fromBus' | 'idle' | 'unknown';

export interface FlowEdge {
  id: FlowNodeId;
  /** The node's power by the sign convention, kW (null: not known). */
  kw: number | null;
  direction: FlowDirection;
  /** How many members the node sums (heat pumps, household batteries), 1 for the others. */
  count: number;
  /** Members whose link is lost or rejecting (they count with their last reported power). */
  unreachable: number;
  /** Mean state of charge of a storage node, %. */
  socPct: number | null;
}

/** Below this a line is drawn idle: a few hundred watts are noise at a community's scale. */
export const IDLE_KW = 0.5;

export interface FlowInputs {
  breakerKw: number | null;
  assets: readonly AssetRow[];
  /** Community PV (negative when it generates) and household load, kW, where the session records them. */
  pvKw: number | null;
  loadKw: number | null;
}

function direction(kw: number | null, positiveFlowsToBus: boolean): FlowDirection {
  if (kw === null || !Number.isFinite(kw)) return 'unknown';
  if (Math.abs(kw) < IDLE_KW) return 'idle';
  return kw > 0 === positiveFlowsToBus ? 'toBus' : 'fromBus';
}

function sumOf(rows: readonly AssetRow[]): { kw: number | null; unreachable: number; socPct: number | null } {
  if (rows.length === 0) return { kw: null, unreachable: 0, socPct: null };
  let kw = 0;
  let unreachable = 0;
  let soc = 0;
  let socN = 0;
  for (const a of rows) {
    kw += a.powerKw;
    if (a.link !== 'ok') unreachable++;
    if (a.socPct !== null) {
      soc += a.socPct;
      socN++;
    }
  }
  return { kw, unreachable, socPct: socN > 0 ? soc / socN : null };
}

/**
 * The lines of the picture, grid first. With the community's PV and load known (the simulator records
 * them) each is its own node; without them (a field site meters only the breaker and the controllable
 * assets) one node stands for what the EMS does not control, the breaker less every controllable asset —
 * households and PV netted, named as such rather than guessed apart.
 */
export function energyFlows(inp: FlowInputs): FlowEdge[] {
  const out: FlowEdge[] = [];
  const edge = (id: FlowNodeId, kw: number | null, toBusWhenPositive: boolean, count = 1, unreachable = 0, socPct: number | null = null): void => {
    out.push({ id, kw: kw !== null && Number.isFinite(kw) ? kw : null, direction: direction(kw, toBusWhenPositive), count, unreachable, socPct });
  };
  edge('grid', inp.breakerKw, true);
  const bess = inp.assets.filter((a) => a.kind === 'bess');
  const hs = inp.assets.filter((a) => a.kind === 'householdStorage');
  const hp = inp.assets.filter((a) => a.kind === 'heatPump');
  if (inp.pvKw !== null && inp.loadKw !== null) {
    edge('pv', inp.pvKw, false);
    edge('households', inp.loadKw, false);
  } else {
    const controllable = inp.assets.reduce((s, a) => s + a.powerKw, 0);
    edge('uncontrolled', inp.breakerKw === null ? null : inp.breakerKw - controllable, false);
  }
  if (hp.length > 0) {
    const s = sumOf(hp);
    edge('heatPumps', s.kw, false, hp.length, s.unreachable);
  }
  if (hs.length > 0) {
    const s = sumOf(hs);
    edge('householdStorage', s.kw, false, hs.length, s.unreachable, s.socPct);
  }
  if (bess.length > 0) {
    const s = sumOf(bess);
    edge('bess', s.kw, false, bess.length, s.unreachable, s.socPct);
  }
  return out;
}

/**
 * What the picture does not account for: the breaker less every node behind it (meter noise, the time
 * between the breaker sample and the assets' reports, losses). Null when a part is unknown.
 */
export function unaccountedKw(flows: readonly FlowEdge[]): number | null {
  const grid = flows.find((f) => f.id === 'grid')?.kw ?? null;
  if (grid === null) return null;
  let behind = 0;
  for (const f of flows) {
    if (f.id === 'grid') continue;
    if (f.kw === null) return null;
    behind += f.kw;
  }
  return grid - behind;
}

/** The newest bucket's mean of a queried series (the newest measurement in the window), or null. */
export function latestMean(d: Pick<SeriesData, 'mean'> | null | undefined): number | null {
  if (!d) return null;
  for (let i = d.mean.length - 1; i >= 0; i--) {
    const v = d.mean[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) return v;
  }
  return null;
}

export type FlexBandPicture = {
  /** F⁻ and F⁺: the controllable assets' power they can hold (the run's band, or the assets' own for the next hour). */
  downKw: number;
  upKw: number;
  /** Whose band: the run's (for the rest of the run) or the sum of the assets' own (next hour). */
  basis: 'run' | 'assets';
  /** What the controllable assets draw now, kW. */
  nowKw: number;
  /** What they must draw to meet the target: target − uncontrolled power (null without a target or breaker). */
  needKw: number | null;
  /** Where the need lies: inside the band, at its edge (within the tolerance), or outside it. */
  needState: 'inside' | 'edge' | 'outside' | null;
  /** The bar's scale, kW, always including 0, the band, now and the need. */
  scaleMinKw: number;
  scaleMaxKw: number;
};

/** Whole kW: what a bar 300 px wide for ±600 kW can show. */
const whole = (kw: number): number => Math.round(kw);

/**
 * The flexibility band as a bar, with the need and the present draw marked; null without any band. Values
 * in whole kW: a picture that is the same to the eye compares equal, and the view hands it on unredrawn
 * instead of patching the bar at every live update.
 */
export function flexBand(state: Pick<LiveState, 'breaker' | 'run' | 'assets'> | null): FlexBandPicture | null {
  if (!state) return null;
  let band: { downKw: number; upKw: number } | null = state.run?.band ?? null;
  let basis: FlexBandPicture['basis'] = 'run';
  if (!band) {
    const own = state.assets.filter((a) => a.band !== null);
    if (own.length === 0) return null;
    band = own.reduce((b, a) => ({ downKw: b.downKw + a.band!.downKw, upKw: b.upKw + a.band!.upKw }), { downKw: 0, upKw: 0 });
    basis = 'assets';
  }
  const nowKw = state.assets.reduce((s, a) => s + a.powerKw, 0);
  const target = state.run?.targetKw ?? null;
  const breaker = state.breaker.measuredKw;
  const needKw = target !== null && breaker !== null ? target - (breaker - nowKw) : null;
  const tol = state.run?.toleranceKw ?? 0;
  const needState = needKw === null ? null : needKw < band.downKw - tol || needKw > band.upKw + tol ? 'outside' : needKw < band.downKw + tol || needKw > band.upKw - tol ? 'edge' : 'inside';
  const values = [0, band.downKw, band.upKw, nowKw, ...(needKw === null ? [] : [needKw])];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = Math.max(5, (hi - lo) * 0.05);
  return { downKw: whole(band.downKw), upKw: whole(band.upKw), basis, nowKw: whole(nowKw), needKw: needKw === null ? null : whole(needKw), needState, scaleMinKw: whole(lo - pad), scaleMaxKw: whole(hi + pad) };
}

/** A value's place on the bar, 0…100 %. */
export function barPct(kw: number, b: Pick<FlexBandPicture, 'scaleMinKw' | 'scaleMaxKw'>): number {
  const w = b.scaleMaxKw - b.scaleMinKw;
  return w > 0 ? Math.min(100, Math.max(0, ((kw - b.scaleMinKw) / w) * 100)) : 50;
}

/** The message key (`flow.*`) that says what a line does, in words: "importing", "charging", "generating", … */
export function flowPhraseKey(f: Pick<FlowEdge, 'id' | 'direction'>): 'import' | 'export' | 'consumes' | 'supplies' | 'charges' | 'discharges' | 'generates' | 'idle' | 'unknown' {
  if (f.direction === 'unknown') return 'unknown';
  if (f.direction === 'idle') return 'idle';
  const toBus = f.direction === 'toBus';
  if (f.id === 'grid') return toBus ? 'import' : 'export';
  if (f.id === 'bess' || f.id === 'householdStorage') return toBus ? 'discharges' : 'charges';
  if (f.id === 'pv') return toBus ? 'generates' : 'consumes';
  return toBus ? 'supplies' : 'consumes';
}

/** A line's stroke width in the picture: thicker with more power, relative to the connection limit. */
export function strokeWidth(kw: number | null, limitKw: number): number {
  if (kw === null || !(limitKw > 0)) return 1.5;
  return 1.5 + 5 * Math.min(1, Math.abs(kw) / limitKw);
}
