/**
 * Load forecast and the uncontrolled residual.
 *
 * The EMS sees only the breaker sum and its controllable assets, so what it can learn from is the
 * uncontrolled residual P_unc = P_B − Σ controllable (loads + PV, the curtailable PV uncurtailed). Its forecast
 * is built from two parts the EMS can compute on its own — the BDEW standard load profiles scaled to each
 * load asset (`quarterHourSeriesKw`, the simulator's own profiles), and the PV forecast — then corrected
 * from the run's measured history:
 *
 *   P̂_unc = a · L_profile + b · P_pv,forecast
 *
 * with (a, b) an exponentially weighted least-squares fit of the measured quarter-hour residual to the two
 * parts (half-life `halfLifeSlots`), pulled towards (1, 1) by a prior worth `priorSlots` quarter hours. With
 * no sun (b's column is zero) it is exactly the exponentially weighted ratio of measured to profile,
 * Σλᵏ·m·L / Σλᵏ·L², shrunk towards 1; with sun the fit keeps a PV forecast error from being read as a
 * load error. Both factors are clipped to plausible ranges (a ∈ [0.3, 3], b ∈ [0.3, 1.5]).
 *
 * Heat pumps are controllable, so they are not in the residual; their demand under their own thermostats
 * (the baseline the optimiser shifts) is the thermal model's energy balance: P = UA·(T_set − T_out)/COP,
 * averaged over the slot, limited to [0, rated power].
 */
import type { LoadProfileLibrary, LoadProfileId } from '../models/load/index.js';
import { quarterHourSeriesKw } from '../models/load/index.js';

export interface LoadForecastAsset {
  id: string;
  /** Members (1 for an uncounted asset). */
  count: number;
  profile: LoadProfileId;
  annualKwh: number;
}

export interface LoadForecast {
  /** First quarter-hour start, UTC ms. */
  startMs: number;
  stepS: 900;
  byAssetKw: Map<string, Float64Array>;
  totalKw: Float64Array;
}

/** BDEW profile of every load asset (all members), quarter-hour means over [startMs, endMs). */
export function profileLoadForecast(
  library: LoadProfileLibrary,
  assets: readonly LoadForecastAsset[],
  span: { startMs: number; endMs: number; timeZone: string; country: string | undefined },
): LoadForecast {
  const byAssetKw = new Map<string, Float64Array>();
  let totalKw: Float64Array | null = null;
  let startMs = Math.floor(span.startMs / 900_000) * 900_000;
  for (const a of assets) {
    const series = quarterHourSeriesKw(library, {
      profileId: a.profile,
      annualKwh: a.annualKwh,
      startMs: span.startMs,
      endMs: span.endMs,
      timeZone: span.timeZone,
      country: span.country,
    });
    const kw = series.powerKw.map((x) => x * a.count);
    byAssetKw.set(a.id, kw);
    startMs = series.startMs;
    if (!totalKw) totalKw = new Float64Array(kw.length);
    for (let i = 0; i < kw.length && i < totalKw.length; i++) totalKw[i] = totalKw[i]! + kw[i]!;
  }
  const slots = Math.ceil((span.endMs - startMs) / 900_000);
  return { startMs, stepS: 900, byAssetKw, totalKw: totalKw ?? new Float64Array(Math.max(0, slots)) };
}

export interface ResidualCorrectorOptions {
  /** Half-life of a past quarter hour's weight, in quarter hours. Default 8 (2 h). */
  halfLifeSlots?: number;
  /** Weight of the (1, 1) prior, in quarter hours of data. Default 4. */
  priorSlots?: number;
}

const LOAD_SCALE_RANGE = [0.3, 3] as const;
const PV_SCALE_RANGE = [0.3, 1.5] as const;

/** The exponentially weighted correction of the residual forecast (see the file comment). */
export class ResidualCorrector {
  private readonly decay: number;
  private readonly priorSlots: number;
  private w = 0;
  private sLL = 0;
  private sLS = 0;
  private sSS = 0;
  private sLM = 0;
  private sSM = 0;
  private a = 1;
  private b = 1;
  private observations = 0;

  constructor(options: ResidualCorrectorOptions = {}) {
    this.decay = Math.pow(0.5, 1 / (options.halfLifeSlots ?? 8));
    this.priorSlots = options.priorSlots ?? 4;
  }

  /**
   * One quarter hour's means: the measured residual, and the profile load and PV forecast it is compared
   * with. A non-finite input is skipped (and says so by returning false): a gap is not a zero.
   */
  observe(measuredResidualKw: number, profileLoadKw: number, pvForecastKw: number): boolean {
    if (!Number.isFinite(measuredResidualKw) || !Number.isFinite(profileLoadKw) || !Number.isFinite(pvForecastKw)) return false;
    const d = this.decay;
    const l = profileLoadKw;
    const s = pvForecastKw;
    const m = measuredResidualKw;
    this.w = d * this.w + 1;
    this.sLL = d * this.sLL + l * l;
    this.sLS = d * this.sLS + l * s;
    this.sSS = d * this.sSS + s * s;
    this.sLM = d * this.sLM + l * m;
    this.sSM = d * this.sSM + s * m;
    this.observations++;
    this.fit();
    return true;
  }

  private fit(): void {
    // Prior as pseudo-observations on the scale of the data seen (1 kW² at least, so an all-dark history
    // leaves the PV factor at 1 instead of undetermined).
    const rhoL = (this.priorSlots * Math.max(this.sLL / this.w, 1)) as number;
    const rhoS = (this.priorSlots * Math.max(this.sSS / this.w, 1)) as number;
    const a11 = this.sLL + rhoL;
    const a12 = this.sLS;
    const a22 = this.sSS + rhoS;
    const r1 = this.sLM + rhoL;
    const r2 = this.sSM + rhoS;
    const det = a11 * a22 - a12 * a12;
    if (!(Math.abs(det) > 1e-12)) return;
    const a = (r1 * a22 - a12 * r2) / det;
    const b = (a11 * r2 - a12 * r1) / det;
    this.a = Math.min(LOAD_SCALE_RANGE[1], Math.max(LOAD_SCALE_RANGE[0], a));
    this.b = Math.min(PV_SCALE_RANGE[1], Math.max(PV_SCALE_RANGE[0], b));
  }

  /** Factor on the profile load (1 before any observation). */
  get loadScale(): number {
    return this.a;
  }

  /** Factor on the PV forecast (1 before any observation). */
  get pvScale(): number {
    return this.b;
  }

  get observationCount(): number {
    return this.observations;
  }

  /** Corrected residual forecast per slot; NaN where either part is unknown. */
  residualKw(profileLoadKw: ArrayLike<number>, pvForecastKw: ArrayLike<number>): Float64Array {
    const n = Math.min(profileLoadKw.length, pvForecastKw.length);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.a * profileLoadKw[i]! + this.b * pvForecastKw[i]!;
    return out;
  }
}

export interface HeatPumpDemandParams {
  powerKw: number;
  cop: number;
  lossKwPerK: number;
  setpointC: number;
}

/**
 * Mean electrical demand of `count` heat pumps under their own thermostats at outdoor temperature
 * `outdoorC`: the heat lost at the setpoint, UA·(T_set − T_out), delivered at COP — limited to [0, count · P].
 * NaN in, NaN out.
 */
export function heatPumpDemandKw(hp: HeatPumpDemandParams, count: number, outdoorC: number): number {
  if (!Number.isFinite(outdoorC)) return Number.NaN;
  const kw = (hp.lossKwPerK * (hp.setpointC - outdoorC)) / hp.cop;
  return Math.min(count * hp.powerKw, Math.max(0, kw * count));
}

export interface ForecastError {
  /** Mean |forecast − actual| / mean |actual| over the slots where both are known. */
  nMae: number;
  maeKw: number;
  rmseKw: number;
  /** Mean (forecast − actual): positive = the forecast expected more import than happened. */
  biasKw: number;
  /** The normaliser: mean |actual|, kW. */
  meanAbsActualKw: number;
  normalisedBy: 'mean-abs-actual';
  slots: number;
  /** Slots left out because the forecast or the actual value was missing. */
  skippedSlots: number;
}

/**
 * Error of a quarter-hour residual forecast against what happened, for `kpi.json` under `forecast`.
 * Normalised by the mean |actual| (not the installed capacity: a community's residual swings between import
 * and export, and capacity would make any forecast look good on a cloudy day); with it, nMAE = Σ|f − a| / Σ|a|.
 */
export function computeForecastError(actualKw: ArrayLike<number>, forecastKw: ArrayLike<number>): ForecastError {
  const n = Math.min(actualKw.length, forecastKw.length);
  let count = 0;
  let skipped = 0;
  let absErr = 0;
  let sqErr = 0;
  let bias = 0;
  let absActual = 0;
  for (let i = 0; i < n; i++) {
    const a = actualKw[i]!;
    const f = forecastKw[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(f)) {
      skipped++;
      continue;
    }
    count++;
    absErr += Math.abs(f - a);
    sqErr += (f - a) ** 2;
    bias += f - a;
    absActual += Math.abs(a);
  }
  return {
    nMae: absActual > 0 ? absErr / absActual : Number.NaN,
    maeKw: count > 0 ? absErr / count : Number.NaN,
    rmseKw: count > 0 ? Math.sqrt(sqErr / count) : Number.NaN,
    biasKw: count > 0 ? bias / count : Number.NaN,
    meanAbsActualKw: count > 0 ? absActual / count : Number.NaN,
    normalisedBy: 'mean-abs-actual',
    slots: count,
    skippedSlots: skipped + Math.abs(actualKw.length - forecastKw.length),
  };
}
