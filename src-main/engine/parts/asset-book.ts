/**
 * The asset book: what the EMS knows of each controllable asset and carries forward between its reports.
 *
 * It owns the BESS, household-storage and heat-pump states (power, state of charge, acknowledged setpoint),
 * each asset's link (missed acknowledgements, lost, rejecting), the recent BESS telemetry that the loop
 * matches to a breaker sample's instant, the BESS mean since the last dispatch, the outdoor forecast, and the
 * estimates that stand in for a report not yet sent: a household storage's power from its setpoint and
 * carried state of charge, a house's indoor temperature through the switches the EMS made. From those it
 * answers the flexibility bands. It writes nothing and decides nothing: the other parts ask it.
 */
import type { HeatPumpMemberState, StorageMemberState } from '../controllers.js';
import { heatPumpBand, storageBand } from '../flexibility.js';
import type { AssetReport, ForecastResult } from '../model.js';
import type { StorageUnitState } from '../optimiser/types.js';
import type { AssetLinkState, EngineConfig, EngineContext, HeatPumpConfig, RunRecord, StorageConfig } from './types.js';
import { ASSUMED_THERMOSTAT_HYSTERESIS_K } from './types.js';

export interface AssetLink {
  missedAcks: number;
  lost: boolean;
  lostSinceMs: number | null;
  rejecting: boolean;
  /** Issue time of the latest command the asset answered: older unanswered ones say nothing new. */
  lastAnsweredIssuedMs: number;
}

export interface StorageState {
  config: StorageConfig & { setpointTtlS: number };
  socPct: number;
  socSampleMs: number;
  powerKw: number;
  /** Setpoint acknowledged and in force, or null (default behaviour). */
  setpointKw: number | null;
  link: AssetLink;
}

export interface HeatPumpState {
  config: HeatPumpConfig & { fleetId?: string };
  /** As last reported, at `indoorSampleMs`, with the state it was in then (see `indoorEstimateC` for now). */
  indoorC: number;
  indoorSampleMs: number;
  reportedOn: boolean;
  /** What the EMS believes the device is doing: its report, or the switch the EMS made and had acknowledged since. */
  on: boolean;
  switchedAtMs: number;
  /** When the EMS's last acknowledged switch took effect: a report sampled before it does not undo it. */
  ackedSwitchMs: number;
  /** The EMS's acknowledged switches since the last temperature report, oldest first (for `indoorEstimateC`). */
  switchesSinceReport: Array<{ atMs: number; on: boolean }>;
  dispatchedOn: boolean | null;
  link: AssetLink;
  /** A commanded switch the device makes only when its minimum on/off time ends: the breaker sample that first shows it. */
  lockedSwitchSampleMs: number | null;
}

/** An asset's link and what an acknowledged write means for its state. */
export interface LinkTarget {
  link: AssetLink;
  apply(kw: number | null): void;
}

/** What a report told the book that another part must act on. */
export type ReportOutcome =
  | { kind: 'bess'; sampleMs: number }
  | { kind: 'heatPumpLocked'; pump: HeatPumpState; lockEndMs: number }
  | { kind: 'none' };

export const newLink = (): AssetLink => ({ missedAcks: 0, lost: false, lostSinceMs: null, rejecting: false, lastAnsweredIssuedMs: -Infinity });

export const linkState = (l: AssetLink): AssetLinkState => (l.lost ? 'lost' : l.rejecting ? 'rejecting' : 'ok');

const storageState = (c: StorageConfig & { setpointTtlS: number }): StorageState => ({
  config: c,
  socPct: c.socInitPct,
  socSampleMs: -Infinity,
  powerKw: 0,
  setpointKw: null,
  link: newLink(),
});

export class AssetBook {
  readonly bess: StorageState;
  readonly households = new Map<string, StorageState>();
  readonly heatPumps = new Map<string, HeatPumpState>();
  /** Recent BESS telemetry, to match the BESS power to a breaker sample's time. */
  private bessHistory: Array<{ sampleMs: number; powerKw: number }> = [];
  lastBessTelemetryMs = -Infinity;
  private bessSumKwS = 0;
  private bessSumS = 0;
  private lastBessAccumulateMs: number | null = null;
  private forecast: { timeMs: ArrayLike<number>; tempC: ArrayLike<number> } | null = null;
  private outdoorMemo: { forecast: unknown; timeMs: number; tempC: number } = { forecast: null, timeMs: NaN, tempC: NaN };

  constructor(private readonly ctx: EngineContext) {
    const config: EngineConfig = ctx.config;
    this.bess = storageState(config.bess);
    for (const h of config.households) this.households.set(h.id, storageState(h));
    for (const h of config.heatPumps) {
      this.heatPumps.set(h.id, {
        config: h,
        indoorC: h.indoorInitC,
        indoorSampleMs: -Infinity,
        reportedOn: false,
        on: false,
        switchedAtMs: -Infinity,
        ackedSwitchMs: -Infinity,
        lockedSwitchSampleMs: null,
        switchesSinceReport: [],
        dispatchedOn: null,
        link: newLink(),
      });
    }
  }

  // ---------------------------------------------------------------- reports

  /** An asset reports: its state is taken in; what another part must act on is returned. */
  report(report: AssetReport): ReportOutcome {
    const id = report.assetId;
    if (id === this.bess.config.id) {
      updateStorage(this.bess, report);
      this.bessHistory.push({ sampleMs: report.sampleMs, powerKw: report.powerKw });
      if (this.bessHistory.length > 64) this.bessHistory.splice(0, this.bessHistory.length - 32);
      this.accumulateBessMean(report);
      this.lastBessTelemetryMs = Math.max(this.lastBessTelemetryMs, report.sampleMs);
      return { kind: 'bess', sampleMs: report.sampleMs };
    }
    const hs = this.households.get(id);
    if (hs) {
      updateStorage(hs, report);
      return { kind: 'none' };
    }
    const hp = this.heatPumps.get(id);
    if (hp) {
      if (report.indoorC !== undefined && Number.isFinite(report.indoorC) && report.sampleMs >= hp.indoorSampleMs) {
        hp.indoorC = report.indoorC;
        hp.indoorSampleMs = report.sampleMs;
        // The state at the sample: reported, or else the EMS's last switch before it, or else as before.
        hp.reportedOn = report.on ?? hp.switchesSinceReport.filter((sw) => sw.atMs < report.sampleMs).at(-1)?.on ?? hp.reportedOn;
        // A report sampled at the very moment of a switch shows the state before it: the switch is kept.
        hp.switchesSinceReport = hp.switchesSinceReport.filter((sw) => sw.atMs >= report.sampleMs);
      }
      // A report taken before (or at) the EMS's last acknowledged switch is older news than the switch.
      if (report.sampleMs > hp.ackedSwitchMs) {
        if (report.on !== undefined) hp.on = report.on;
        if (report.msSinceSwitch !== undefined) hp.switchedAtMs = report.sampleMs - report.msSinceSwitch;
        // The report shows the device still in the state the EMS told it to leave: it switches when its
        // minimum time ends, which the EMS now knows to the second.
        if (hp.dispatchedOn !== null && hp.dispatchedOn !== hp.on && !hp.link.lost && !hp.link.rejecting) {
          const lockEndMs = hp.switchedAtMs + (hp.on ? hp.config.minOnS : hp.config.minOffS) * 1000;
          if (lockEndMs > this.ctx.clock.nowMs()) return { kind: 'heatPumpLocked', pump: hp, lockEndMs };
        }
      }
    }
    return { kind: 'none' };
  }

  /** A weather forecast with outdoor temperatures: the thermal estimates use it from now on. */
  setForecast(result: ForecastResult): void {
    if (result.timeMs && result.tempC) this.forecast = { timeMs: result.timeMs, tempC: result.tempC };
  }

  private accumulateBessMean(report: AssetReport): void {
    if (this.lastBessAccumulateMs !== null) {
      const dtS = (report.sampleMs - this.lastBessAccumulateMs) / 1000;
      if (dtS > 0 && dtS < 60) {
        this.bessSumKwS += report.powerKw * dtS;
        this.bessSumS += dtS;
      }
    }
    this.lastBessAccumulateMs = report.sampleMs;
  }

  /** The BESS mean power since the last call (or its power at `nowMs` without telemetry since); starts a new mean. */
  takeBessMeanKw(nowMs: number): number {
    const meanKw = this.bessSumS > 0 ? this.bessSumKwS / this.bessSumS : this.bessPowerAt(nowMs);
    this.resetBessMean();
    return meanKw;
  }

  resetBessMean(): void {
    this.bessSumKwS = 0;
    this.bessSumS = 0;
  }

  // ---------------------------------------------------------------- links

  /**
   * An asset's link and what an acknowledged write of `kw` means for its state (undefined: not an asset
   * the book keeps, as a curtailable PV member).
   */
  linkOf(assetId: string): LinkTarget | undefined {
    if (assetId === this.bess.config.id) return { link: this.bess.link, apply: (kw) => (this.bess.setpointKw = kw) };
    const hs = this.households.get(assetId);
    if (hs) return { link: hs.link, apply: (kw) => (hs.setpointKw = kw) };
    const hp = this.heatPumps.get(assetId);
    if (hp) {
      return {
        link: hp.link,
        apply: (kw) => {
          const on = kw === null ? null : kw > 0;
          // An acknowledged switch starts the unit's minimum on/off time now: its report (every 15 minutes
          // in the field) would tell too late, and a re-plan in between would count on a switch back that
          // the device refuses. (If the device did not switch after all, this only holds it a little longer.)
          if (on !== null && on !== (hp.dispatchedOn ?? hp.on)) {
            hp.switchedAtMs = this.ctx.clock.nowMs();
            hp.ackedSwitchMs = hp.switchedAtMs;
            hp.switchesSinceReport.push({ atMs: hp.switchedAtMs, on });
            // Bounded: minimum on/off times allow only a few between two reports; a silent device must not grow it.
            if (hp.switchesSinceReport.length > 32) hp.switchesSinceReport.shift();
          }
          // The device is in the commanded state until it reports otherwise, also after a later release.
          if (on !== null) hp.on = on;
          hp.dispatchedOn = on;
        },
      };
    }
    return undefined;
  }

  /**
   * An answered write proves the command path. Telemetry alone does not: an asset that reports but never
   * acknowledges cannot be steered, so only acknowledgements restore a lost link.
   */
  markAlive(id: string, link: AssetLink): void {
    link.missedAcks = 0;
    if (link.lost) {
      link.lost = false;
      link.lostSinceMs = null;
      this.ctx.emit('asset-restored', 'info', `${id} answers again`, {}, id);
    }
  }

  // ---------------------------------------------------------------- powers now

  /** BESS power at (or just before) `timeMs`, from telemetry; falls back to the last report's power. */
  bessPowerAt(timeMs: number): number {
    for (let i = this.bessHistory.length - 1; i >= 0; i--) {
      const h = this.bessHistory[i]!;
      if (h.sampleMs <= timeMs) return h.powerKw;
    }
    return this.bess.powerKw;
  }

  controllablePowerKw(timeMs: number): number {
    return this.bessPowerAt(timeMs) + this.householdPowerKw() + this.heatPumpPowerKw();
  }

  private householdPowerKw(): number {
    let sum = 0;
    const now = this.ctx.clock.nowMs();
    for (const h of this.households.values()) sum += this.householdPowerEstimateKw(h, now);
    return sum;
  }

  /**
   * What a household storage does now, as far as the EMS can tell between its 15-minute reports: its
   * dispatched setpoint — unless the state of charge, carried forward from the last report with that
   * setpoint, says it has reached a limit and stopped — or else its last reported power.
   */
  householdPowerEstimateKw(h: StorageState, now: number): number {
    if (h.setpointKw === null) return h.powerKw;
    const c = h.config;
    if (Number.isFinite(h.socSampleMs)) {
      const hours = Math.max(0, now - h.socSampleMs) / 3_600_000;
      const eta = Math.sqrt(c.roundTripEfficiency);
      const deltaKwh = h.setpointKw > 0 ? h.setpointKw * eta * hours : (h.setpointKw / eta) * hours;
      const socEst = h.socPct + (deltaKwh / c.energyKwh) * 100;
      if (h.setpointKw > 0 && socEst >= c.socMaxPct) return 0;
      if (h.setpointKw < 0 && socEst <= c.socMinPct) return 0;
    }
    return h.setpointKw;
  }

  private heatPumpPowerKw(): number {
    let sum = 0;
    for (const h of this.heatPumps.values()) {
      const on = h.dispatchedOn ?? h.on;
      if (on) sum += h.config.powerKw;
    }
    return sum;
  }

  // ---------------------------------------------------------------- bands

  /**
   * The band `[F⁻, F⁺]` the controllable assets can deliver at `timeMs` (KPI.md, K01 power sufficiency):
   * power limits, the state-of-charge and comfort limits that bind within the next breaker period, a heat
   * pump's minimum on/off time, and availability (an asset the EMS cannot reach counts at its last power).
   * Not an average over the rest of the run: that is `communityBand`. Curtailable PV is left out (the EMS
   * does not see its generation between reports), so the band errs low on the up side when PV may be curtailed.
   */
  instantaneousBand(timeMs: number): { downKw: number; upKw: number } {
    const horizonS = this.ctx.config.breakerPeriodS;
    const sum = { downKw: 0, upKw: 0 };
    addInstantaneousStorage(sum, this.bess, this.bessPowerAt(timeMs), horizonS);
    for (const h of this.households.values()) addInstantaneousStorage(sum, h, this.householdPowerEstimateKw(h, timeMs), horizonS);
    let downKw = sum.downKw;
    let upKw = sum.upKw;
    for (const h of this.heatPumps.values()) {
      const on = h.dispatchedOn ?? h.on;
      const nowKw = on ? h.config.powerKw : 0;
      const since = timeMs - h.switchedAtMs;
      const locked = h.link.lost || h.link.rejecting || since < (on ? h.config.minOnS : h.config.minOffS) * 1000;
      if (locked) {
        downKw += nowKw;
        upKw += nowKw;
        continue;
      }
      const indoorC = this.indoorEstimateC(h, timeMs);
      // On is possible below the comfort maximum, off above the minimum.
      upKw += indoorC < h.config.indoorMaxC ? h.config.powerKw : nowKw;
      downKw += indoorC > h.config.indoorMinC ? 0 : nowKw;
    }
    return { downKw, upKw };
  }

  /** The community's flexibility band `[F⁻, F⁺]` held on average for the rest of the run, from what the EMS knows. */
  communityBand(run: RunRecord, timeMs: number): { downKw: number; upKw: number } {
    const t = run.trigger;
    const runEndMs = t.durationS !== null ? run.startMs + t.durationS * 1000 : timeMs + this.ctx.safety.openRunHorizonS * 1000;
    const horizonS = Math.max(this.ctx.config.bessPeriodS, (runEndMs - timeMs) / 1000);
    let downKw = 0;
    let upKw = 0;
    const addStorage = (s: StorageState): void => {
      if (s.link.lost || s.link.rejecting) {
        const p = s === this.bess ? this.bessPowerAt(timeMs) : s.powerKw;
        downKw += p;
        upKw += p;
        return;
      }
      const c = s.config;
      const band = storageBand(c.powerKw, c.energyKwh, s.socPct, c.socMinPct, c.socMaxPct, c.roundTripEfficiency, horizonS);
      downKw += band.downKw;
      upKw += band.upKw;
    };
    addStorage(this.bess);
    for (const h of this.households.values()) addStorage(h);
    const outdoorC = this.outdoorTempAt(timeMs);
    for (const h of this.heatPumps.values()) {
      if (h.link.lost || h.link.rejecting) {
        const p = h.on ? h.config.powerKw : 0;
        downKw += p;
        upKw += p;
        continue;
      }
      const band = heatPumpBand(h.config, this.indoorEstimateC(h, timeMs), outdoorC, horizonS);
      downKw += band.downKw;
      upKw += band.upKw;
    }
    return { downKw, upKw };
  }

  /**
   * The energy the reachable assets can still take (up) and give (down, negative) over `horizonS` from
   * their state now (KPI.md, energy sufficiency).
   */
  energyRangeKwh(now: number, horizonS: number): { downKwh: number; upKwh: number } {
    let downKwh = 0;
    let upKwh = 0;
    for (const st of [this.bess, ...this.households.values()]) {
      if (st.link.lost || st.link.rejecting) continue;
      const c = st.config;
      const eta = Math.sqrt(c.roundTripEfficiency);
      upKwh += (Math.max(0, c.socMaxPct - st.socPct) / 100) * c.energyKwh / eta;
      downKwh -= (Math.max(0, st.socPct - c.socMinPct) / 100) * c.energyKwh * eta;
    }
    const outdoorC = this.outdoorTempAt(now);
    for (const h of this.heatPumps.values()) {
      if (h.link.lost || h.link.rejecting) continue;
      const band = heatPumpBand(h.config, this.indoorEstimateC(h, now), outdoorC, horizonS);
      downKwh += (band.downKw * horizonS) / 3600;
      upKwh += (band.upKw * horizonS) / 3600;
    }
    return { downKwh, upKwh };
  }

  // ---------------------------------------------------------------- heat pumps

  /**
   * A house's indoor temperature now, as far as the EMS can tell between its 15-minute reports: the last
   * report carried forward with the house's own thermal model, in the reported state and then through each
   * switch the EMS made and had acknowledged since, kept inside the comfort band where the device's own
   * comfort override can keep it there, whatever it was told. Without it a re-plan minutes after a switch
   * judges comfort, and the switches the device will accept, from a house 15 minutes old.
   */
  indoorEstimateC(h: HeatPumpState, now: number): number {
    const c = h.config;
    if (!Number.isFinite(h.indoorSampleMs) || now <= h.indoorSampleMs || !(c.lossKwPerK > 0)) return h.indoorC;
    const outdoorC = this.outdoorTempAt(now);
    // The device's comfort override switches it on below the band and off above it: that holds the house
    // in the band only where the physics allow (off cannot cool a house on a hot day).
    // Without a forecast the outdoor temperature is a guess: then no bound is taken for granted.
    const known = this.forecast !== null && this.forecast.timeMs.length > 0;
    const floorC = known && outdoorC + (c.cop * c.powerKw) / c.lossKwPerK > c.indoorMinC ? c.indoorMinC : -Infinity;
    const ceilingC = known && outdoorC < c.indoorMaxC ? c.indoorMaxC : Infinity;
    // From the report in its state (a dispatch before it is in the report, even one the device refused),
    // then through each acknowledged switch after it.
    let tempC = h.indoorC;
    let on = h.reportedOn;
    let fromMs = h.indoorSampleMs;
    for (const sw of h.switchesSinceReport) {
      if (sw.atMs < fromMs || sw.atMs >= now) continue;
      tempC = Math.min(ceilingC, Math.max(floorC, thermalStep(c, outdoorC, tempC, on, sw.atMs - fromMs)));
      on = sw.on;
      fromMs = sw.atMs;
    }
    return Math.min(ceilingC, Math.max(floorC, thermalStep(c, outdoorC, tempC, on, now - fromMs)));
  }

  /** The outdoor temperature at `timeMs` from the forecast's nearest hour (10 °C without one). */
  outdoorTempAt(timeMs: number): number {
    const f = this.forecast;
    if (!f || f.timeMs.length === 0) return 10;
    // Asked for every heat pump at one instant (the band at each breaker sample): the last answer is kept.
    if (this.outdoorMemo.forecast === f && this.outdoorMemo.timeMs === timeMs) return this.outdoorMemo.tempC;
    const v = f.tempC[nearestIndex(f.timeMs, timeMs)]!;
    const tempC = Number.isFinite(v) ? v : 10;
    this.outdoorMemo = { forecast: f, timeMs, tempC };
    return tempC;
  }

  /** What a released heat pump's own thermostat will do (within its min on/off times). */
  releasedHeatPumpOn(h: HeatPumpState, now: number): boolean {
    const wasOn = h.dispatchedOn ?? h.on;
    const sp = h.config.setpointC;
    if (sp === undefined || h.dispatchedOn === null) return wasOn;
    const since = now - h.switchedAtMs;
    const indoorC = this.indoorEstimateC(h, now);
    if (wasOn && indoorC > sp + ASSUMED_THERMOSTAT_HYSTERESIS_K && since >= h.config.minOnS * 1000) return false;
    if (!wasOn && indoorC < sp - ASSUMED_THERMOSTAT_HYSTERESIS_K && since >= h.config.minOffS * 1000) return true;
    return wasOn;
  }

  // ---------------------------------------------------------------- as the controllers and the planner see them

  storageMember(s: StorageState): StorageMemberState {
    return {
      id: s.config.id,
      powerRatingKw: s.config.powerKw,
      energyKwh: s.config.energyKwh,
      socPct: s.socPct,
      socMinPct: s.config.socMinPct,
      socMaxPct: s.config.socMaxPct,
      powerKw: s.setpointKw ?? s.powerKw,
      available: !s.link.lost,
    };
  }

  /** A heat pump as the EMS believes it now: what the fair-share rule and the planner start from. */
  heatPumpMember(h: HeatPumpState, now: number): HeatPumpMemberState {
    return {
      id: h.config.id,
      powerKw: h.config.powerKw,
      on: h.dispatchedOn ?? h.on,
      indoorC: this.indoorEstimateC(h, now),
      indoorMinC: h.config.indoorMinC,
      indoorMaxC: h.config.indoorMaxC,
      msSinceSwitch: now - h.switchedAtMs,
      minOnS: h.config.minOnS,
      minOffS: h.config.minOffS,
      available: !h.link.lost,
      dispatchedOn: h.dispatchedOn,
    };
  }

  /** A storage as the planner sees it: the BESS at its measured power, and unplanned while it rejects writes. */
  storageUnit(s: StorageState, now: number): StorageUnitState {
    return {
      ...this.storageMember(s),
      roundTripEfficiency: s.config.roundTripEfficiency,
      powerKw: s === this.bess ? this.bessPowerAt(now) : (s.setpointKw ?? s.powerKw),
      available: !s.link.lost && !s.link.rejecting,
    };
  }
}

function updateStorage(s: StorageState, r: AssetReport): void {
  if (Number.isFinite(r.powerKw)) s.powerKw = r.powerKw;
  if (r.socPct !== undefined && Number.isFinite(r.socPct)) {
    s.socPct = r.socPct;
    s.socSampleMs = r.sampleMs;
  }
}

/** Adds a storage's instantaneous band (power, state of charge and ramp within `horizonS`) to `sum`. */
function addInstantaneousStorage(sum: { downKw: number; upKw: number }, s: StorageState, nowKw: number, horizonS: number): void {
  if (s.link.lost || s.link.rejecting) {
    sum.downKw += nowKw;
    sum.upKw += nowKw;
    return;
  }
  const c = s.config;
  const band = storageBand(c.powerKw, c.energyKwh, s.socPct, c.socMinPct, c.socMaxPct, c.roundTripEfficiency, horizonS);
  const rampKw = c.rampKwPerS !== undefined && c.rampKwPerS > 0 ? c.rampKwPerS * horizonS : Infinity;
  sum.downKw += Math.max(band.downKw, nowKw - rampKw);
  sum.upKw += Math.min(band.upKw, nowKw + rampKw);
}

/** A house's indoor temperature after `dtMs` in one state (first-order thermal model towards its equilibrium). */
function thermalStep(c: HeatPumpConfig, outdoorC: number, fromC: number, on: boolean, dtMs: number): number {
  const eqC = outdoorC + (on ? c.cop * c.powerKw : 0) / c.lossKwPerK;
  return eqC + (fromC - eqC) * Math.exp((-c.lossKwPerK * dtMs) / 3_600_000 / c.capacityKwhPerK);
}

/**
 * The index of the time nearest `t` (the first of equally near ones), exactly as a linear scan finds it: by
 * bisection when the times ascend strictly (a forecast's hours), else by the scan itself.
 */
export function nearestIndex(times: ArrayLike<number>, t: number): number {
  const n = times.length;
  if (n === 0) return 0;
  if (!ascendingCache.has(times)) {
    let asc = Number.isFinite(times[0]!);
    for (let i = 1; asc && i < n; i++) asc = times[i]! > times[i - 1]! && Number.isFinite(times[i]!);
    ascendingCache.set(times, asc);
  }
  if (!ascendingCache.get(times) || !Number.isFinite(t)) {
    let best = 0;
    for (let i = 0; i < n; i++) if (Math.abs(times[i]! - t) < Math.abs(times[best]! - t)) best = i;
    return best;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  // lo: the first time ≥ t. Distances fall towards it from the left and rise after it.
  let best = lo >= n ? n - 1 : lo > 0 && !(Math.abs(times[lo]! - t) < Math.abs(times[lo - 1]! - t)) ? lo - 1 : lo;
  while (best > 0 && Math.abs(times[best - 1]! - t) <= Math.abs(times[best]! - t)) best--;
  return best;
}

const ascendingCache = new WeakMap<ArrayLike<number>, boolean>();
