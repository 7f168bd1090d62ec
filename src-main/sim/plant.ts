/**
 * The plant simulator: the community's physics, stepped at the scenario's `stepS`, following the physics
 * table of `SCENARIOS.md` exactly. It knows nothing of the EMS: the EMS reaches it only through the same
 * connector interfaces that serve the field (sensors with noise and delay, setpoint writes with
 * acknowledgements), so a replay exercises the EMS as the field would.
 *
 * Cost grows linearly with the number of members: every per-step quantity is a flat loop over typed arrays;
 * what is the same for many members (a PV orientation's irradiance, a load profile) is computed once.
 *
 * Power is in the load frame throughout (positive = drawn from the grid; PV ≤ 0).
 */
import type {
  BessAsset,
  HeatPumpAsset,
  HouseholdStorageAsset,
  LoadAsset,
  PvAsset,
  Scenario,
  SeriesAsset,
  WeatherSeries,
} from '../engine/scenario/index.js';
import { memberId } from '../engine/scenario/index.js';
import type { LoadProfileLibrary } from '../engine/models/load/index.js';
import { defaultCountryForTimeZone, quarterHourSeriesKw } from '../engine/models/load/index.js';
import { pvArrayAcPowerKw, poaIrradiance, solarPositionFast } from '../engine/models/solar/index.js';
import { Rng, streamSeed } from '../engine/random.js';
import type { HeatPumpParams } from './heat-pump.js';
import { HeatPumpPhysics } from './heat-pump.js';
import { StoragePhysics } from './storage.js';

export type MemberKind = 'bess' | 'householdStorage' | 'heatPump' | 'pv' | 'load' | 'series';

export interface PlantMember {
  id: string;
  assetId: string;
  kind: MemberKind;
  /** Index into the kind's own arrays. */
  index: number;
}

export interface MemberReading {
  powerKw: number;
  setpointKw: number | null;
  socPct?: number;
  indoorC?: number;
  on?: boolean;
  msSinceSwitch?: number;
}

export type WriteResult = { ok: true } | { ok: false; error: string };

export interface PlantInputs {
  scenario: Scenario;
  weather: WeatherSeries;
  loadProfiles: LoadProfileLibrary;
  series: Record<string, { timeMs: Float64Array; valueKw: Float64Array }>;
}

/** Member ids of a counted asset (see `memberId`); an uncounted asset is its own single member. */
export function memberIds(assetId: string, count: number | undefined): string[] {
  if (count === undefined) return [assetId];
  return Array.from({ length: count }, (_, k) => memberId(assetId, k + 1, count));
}

const LOAD_NOISE_PERIOD_S = 60;
const DEFAULT_BESS_TTL_PERIODS = 6;
const DEFAULT_HOUSEHOLD_TTL_PERIODS = 2;

interface StorageMember {
  id: string;
  physics: StoragePhysics;
  household: boolean;
  /** Dispatched setpoint and its expiry; null = default behaviour (BESS 0 kW, household self-consumption). */
  setpointKw: number | null;
  expiresMs: number;
  ttlS: number;
  /** Index of the paired load and pv members (household storages only), or -1. */
  loadIndex: number;
  pvIndex: number;
}

interface PvGroup {
  tiltDeg: number;
  azimuthDeg: number;
  lossesPct: number;
  /** AC kW per kWp at the current step (generation, ≥ 0). */
  acKwPerKwp: number;
}

export class Plant {
  readonly scenario: Scenario;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepS: number;
  readonly members: PlantMember[] = [];
  private readonly memberById = new Map<string, PlantMember>();

  nowMs: number;
  breakerKw = 0;
  outdoorC = 0;
  ghiWm2 = 0;

  // Storages (BESS and household members).
  readonly storages: StorageMember[] = [];
  // Heat pumps.
  readonly heatPumps: HeatPumpPhysics[] = [];
  private readonly heatPumpIds: string[] = [];
  // PV members.
  private readonly pvGroups: PvGroup[] = [];
  private readonly pvGroupOf: Int32Array;
  private readonly pvKwp: Float64Array;
  private readonly pvCurtailable: Uint8Array;
  private readonly pvFloorKw: Float64Array;
  private readonly pvExpiresMs: Float64Array;
  readonly pvPowerKw: Float64Array;
  // Loads.
  private readonly loadProfileKw: Float64Array[] = [];
  private readonly loadProfileStartMs: number[] = [];
  private readonly loadAssetOf: Int32Array;
  private readonly loadNoise: Float32Array[] = [];
  /** Scratch: each load asset's profile value in the current quarter hour. */
  private loadQuarterHourKw = new Float64Array(0);
  readonly loadPowerKw: Float64Array;
  // Recorded series.
  private readonly seriesAssets: Array<{ asset: SeriesAsset; timeMs: Float64Array; valueKw: Float64Array; cursor: number }> = [];
  readonly seriesPowerKw: Float64Array;

  /** Longest a heat-pump dispatch or PV curtailment stays in force unless renewed (2 dispatch periods). */
  private readonly deviceTtlS: number;
  private readonly weather: WeatherSeries;
  private weatherCursor = 0;
  private readonly latitudeDeg: number;
  private readonly longitudeDeg: number;

  constructor(inputs: PlantInputs) {
    const s = inputs.scenario;
    this.scenario = s;
    this.weather = inputs.weather;
    this.startMs = Date.parse(s.start);
    this.endMs = Date.parse(s.end);
    this.stepS = s.stepS;
    this.nowMs = this.startMs;
    this.deviceTtlS = DEFAULT_HOUSEHOLD_TTL_PERIODS * s.control.dispatchPeriodS;
    this.latitudeDeg = s.site.latitude;
    this.longitudeDeg = s.site.longitude;
    const country = s.site.country ?? defaultCountryForTimeZone(s.site.timezone);

    const loads = s.assets.filter((a): a is LoadAsset => a.kind === 'load');
    const pvs = s.assets.filter((a): a is PvAsset => a.kind === 'pv');
    const loadMemberIndex = new Map<string, number>();
    const pvMemberIndex = new Map<string, number>();

    // Loads: one profile series per asset, one noise series per member.
    const loadAssetOf: number[] = [];
    const minutes = Math.ceil((this.endMs - this.startMs) / 1000 / LOAD_NOISE_PERIOD_S) + 2;
    loads.forEach((asset, a) => {
      const series = quarterHourSeriesKw(inputs.loadProfiles, {
        profileId: asset.profile,
        annualKwh: asset.annualKwh,
        startMs: this.startMs,
        endMs: this.endMs + 900_000,
        timeZone: s.site.timezone,
        country,
      });
      this.loadProfileKw.push(series.powerKw);
      this.loadProfileStartMs.push(series.startMs);
      for (const id of memberIds(asset.id, asset.count)) {
        const rng = new Rng(streamSeed(s.seed, `load:${id}`));
        const noise = new Float32Array(minutes);
        const sigma = asset.noisePct / 100;
        for (let m = 0; m < minutes; m++) noise[m] = Math.max(0, 1 + sigma * rng.normal());
        loadMemberIndex.set(id, loadAssetOf.length);
        this.addMember(id, asset.id, 'load', loadAssetOf.length);
        loadAssetOf.push(a);
        this.loadNoise.push(noise);
      }
    });
    this.loadAssetOf = Int32Array.from(loadAssetOf);
    this.loadQuarterHourKw = new Float64Array(loads.length);
    this.loadPowerKw = new Float64Array(loadAssetOf.length);

    // PV: members share their orientation's irradiance.
    const groupOf: number[] = [];
    const kwp: number[] = [];
    const curtailable: number[] = [];
    for (const asset of pvs) {
      let g = this.pvGroups.findIndex(
        (x) => x.tiltDeg === asset.tiltDeg && x.azimuthDeg === asset.azimuthDeg && x.lossesPct === asset.lossesPct,
      );
      if (g < 0) {
        g = this.pvGroups.length;
        this.pvGroups.push({ tiltDeg: asset.tiltDeg, azimuthDeg: asset.azimuthDeg, lossesPct: asset.lossesPct, acKwPerKwp: 0 });
      }
      for (const id of memberIds(asset.id, asset.count)) {
        pvMemberIndex.set(id, groupOf.length);
        this.addMember(id, asset.id, 'pv', groupOf.length);
        groupOf.push(g);
        kwp.push(asset.kwp);
        curtailable.push(asset.curtailable ? 1 : 0);
      }
    }
    this.pvGroupOf = Int32Array.from(groupOf);
    this.pvKwp = Float64Array.from(kwp);
    this.pvCurtailable = Uint8Array.from(curtailable);
    this.pvFloorKw = new Float64Array(groupOf.length).fill(-Infinity);
    this.pvExpiresMs = new Float64Array(groupOf.length);
    this.pvPowerKw = new Float64Array(groupOf.length);

    // Storages.
    for (const asset of s.assets) {
      if (asset.kind === 'bess') this.addStorage(asset, asset.id, false, -1, -1);
      if (asset.kind === 'householdStorage') {
        const loadAsset = loads.find((l) => l.id === asset.pairedWith.load);
        const pvAsset = pvs.find((p) => p.id === asset.pairedWith.pv);
        const loadIds = memberIds(asset.pairedWith.load, loadAsset?.count);
        const pvIds = memberIds(asset.pairedWith.pv, pvAsset?.count);
        memberIds(asset.id, asset.count).forEach((id, k) => {
          this.addStorage(asset, id, true, loadMemberIndex.get(loadIds[k] ?? '') ?? -1, pvMemberIndex.get(pvIds[k] ?? '') ?? -1);
        });
      }
    }

    // Heat pumps.
    for (const asset of s.assets) {
      if (asset.kind !== 'heatPump') continue;
      for (const id of memberIds(asset.id, asset.count)) {
        this.addMember(id, asset.id, 'heatPump', this.heatPumps.length);
        this.heatPumps.push(new HeatPumpPhysics(heatPumpParams(asset), this.startMs));
        this.heatPumpIds.push(id);
      }
    }

    // Recorded series.
    for (const asset of s.assets) {
      if (asset.kind !== 'series') continue;
      const data = inputs.series[asset.id];
      if (!data) throw new Error(`series asset ${asset.id}: no data loaded`);
      this.addMember(asset.id, asset.id, 'series', this.seriesAssets.length);
      this.seriesAssets.push({ asset, timeMs: data.timeMs, valueKw: data.valueKw, cursor: 0 });
    }
    this.seriesPowerKw = new Float64Array(this.seriesAssets.length);

    this.updateInstantaneous();
  }

  private addMember(id: string, assetId: string, kind: MemberKind, index: number): void {
    const m: PlantMember = { id, assetId, kind, index };
    this.members.push(m);
    this.memberById.set(id, m);
  }

  private addStorage(asset: BessAsset | HouseholdStorageAsset, id: string, household: boolean, loadIndex: number, pvIndex: number): void {
    const c = this.scenario.control;
    const ttlS = asset.setpointTtlS ?? (household ? DEFAULT_HOUSEHOLD_TTL_PERIODS * c.dispatchPeriodS : DEFAULT_BESS_TTL_PERIODS * c.bessPeriodS);
    this.addMember(id, asset.id, household ? 'householdStorage' : 'bess', this.storages.length);
    this.storages.push({ id, physics: new StoragePhysics(asset), household, setpointKw: null, expiresMs: 0, ttlS, loadIndex, pvIndex });
  }

  member(id: string): PlantMember | undefined {
    return this.memberById.get(id);
  }

  /**
   * A setpoint write reaching the device at `nowMs`. `null` releases the device to its default behaviour.
   * The device keeps a dispatched value until `expiresMs`, then falls back by itself.
   */
  write(memberId: string, powerKw: number | null, expiresMs: number): WriteResult {
    const m = this.memberById.get(memberId);
    if (!m) return { ok: false, error: `unknown asset ${memberId}` };
    if (powerKw !== null && !Number.isFinite(powerKw)) return { ok: false, error: `setpoint must be a finite number, got ${powerKw}` };
    const now = this.nowMs;
    switch (m.kind) {
      case 'bess':
      case 'householdStorage': {
        const st = this.storages[m.index]!;
        st.setpointKw = powerKw;
        st.expiresMs = powerKw === null ? 0 : Math.min(expiresMs, now + st.ttlS * 1000);
        if (powerKw !== null) st.physics.command(now, powerKw);
        else if (!st.household) st.physics.command(now, 0);
        return { ok: true };
      }
      case 'heatPump': {
        // Like the storages, the device caps how long a dispatch can last without being renewed.
        const hp = this.heatPumps[m.index]!;
        hp.dispatch(powerKw === null ? null : powerKw > 0, Math.min(expiresMs, now + this.deviceTtlS * 1000));
        return { ok: true };
      }
      case 'pv': {
        if (!this.pvCurtailable[m.index]) return { ok: false, error: `${memberId} is not curtailable` };
        this.pvFloorKw[m.index] = powerKw === null ? -Infinity : Math.min(0, powerKw);
        this.pvExpiresMs[m.index] = powerKw === null ? 0 : Math.min(expiresMs, now + this.deviceTtlS * 1000);
        return { ok: true };
      }
      default:
        return { ok: false, error: `${memberId} (${m.kind}) takes no setpoints` };
    }
  }

  read(memberId: string): MemberReading | undefined {
    const m = this.memberById.get(memberId);
    if (!m) return undefined;
    switch (m.kind) {
      case 'bess':
      case 'householdStorage': {
        const st = this.storages[m.index]!;
        return { powerKw: st.physics.powerKw, setpointKw: st.setpointKw, socPct: st.physics.socPct };
      }
      case 'heatPump': {
        const hp = this.heatPumps[m.index]!;
        return {
          powerKw: hp.powerKw,
          setpointKw: hp.dispatchedOn === null ? null : hp.dispatchedOn ? hp.params.powerKw : 0,
          indoorC: hp.indoorC,
          on: hp.on,
          msSinceSwitch: this.nowMs - hp.lastSwitchMs,
        };
      }
      case 'pv': {
        const floor = this.pvFloorKw[m.index]!;
        return { powerKw: this.pvPowerKw[m.index]!, setpointKw: Number.isFinite(floor) ? floor : null };
      }
      case 'load':
        return { powerKw: this.loadPowerKw[m.index]!, setpointKw: null };
      case 'series':
        return { powerKw: this.seriesPowerKw[m.index]!, setpointKw: null };
    }
  }

  /** Advances the plant by one step: decisions at `nowMs`, integration over [nowMs, nowMs + stepS). */
  step(): void {
    const now = this.nowMs;
    const dtS = this.stepS;
    for (const st of this.storages) {
      if (st.setpointKw !== null && now >= st.expiresMs) {
        // The device's own watchdog: a setpoint nobody renewed returns it to its default.
        st.setpointKw = null;
        if (!st.household) st.physics.follow(0);
      }
      if (st.household && st.setpointKw === null) {
        // Self-consumption: cover the household's deficit or store its surplus.
        const net = (st.loadIndex >= 0 ? this.loadPowerKw[st.loadIndex]! : 0) + (st.pvIndex >= 0 ? this.pvPowerKw[st.pvIndex]! : 0);
        st.physics.follow(-net);
      }
      st.physics.step(now, dtS);
    }
    for (const hp of this.heatPumps) hp.step(now, dtS, this.outdoorC);
    this.nowMs = now + dtS * 1000;
    this.updateInstantaneous();
  }

  /** Recomputes every uncontrolled power and the breaker sum at `nowMs`. */
  private updateInstantaneous(): void {
    const t = this.nowMs;
    this.updateWeather(t);

    // PV: one irradiance computation per orientation.
    if (this.pvGroups.length > 0) {
      const w = this.weatherNow;
      // No light, no power: the sun's position is not needed (half of every day, at every step).
      const sun = w.ghiWm2 <= 0 ? null : solarPositionFast(t, this.latitudeDeg, this.longitudeDeg);
      for (const g of this.pvGroups) {
        if (sun === null || sun.zenithDeg >= 90) {
          g.acKwPerKwp = 0;
          continue;
        }
        const poa = poaIrradiance({
          surfaceTiltDeg: g.tiltDeg,
          surfaceAzimuthDeg: g.azimuthDeg,
          solarZenithDeg: sun.zenithDeg,
          solarAzimuthDeg: sun.azimuthDeg,
          dniWm2: w.dniWm2,
          ghiWm2: w.ghiWm2,
          dhiWm2: w.dhiWm2,
          model: 'isotropic',
        });
        g.acKwPerKwp = pvArrayAcPowerKw(
          { kwp: 1, tiltDeg: g.tiltDeg, azimuthDeg: g.azimuthDeg, lossesPct: g.lossesPct },
          poa.poaGlobalWm2,
          w.tempC,
          w.windMs,
        );
      }
    }
    let sum = 0;
    const pvN = this.pvPowerKw.length;
    for (let i = 0; i < pvN; i++) {
      if (this.pvExpiresMs[i]! > 0 && t >= this.pvExpiresMs[i]!) {
        this.pvFloorKw[i] = -Infinity;
        this.pvExpiresMs[i] = 0;
      }
      const p = Math.max(-this.pvGroups[this.pvGroupOf[i]!]!.acKwPerKwp * this.pvKwp[i]!, this.pvFloorKw[i]!);
      this.pvPowerKw[i] = p;
      sum += p;
    }

    // Loads: the profile's quarter hour times the member's per-minute noise.
    const minute = Math.floor((t - this.startMs) / 1000 / LOAD_NOISE_PERIOD_S);
    const loadN = this.loadPowerKw.length;
    const qhCache = this.loadQuarterHourKw;
    for (let a = 0; a < this.loadProfileKw.length; a++) {
      const qh = Math.floor((t - this.loadProfileStartMs[a]!) / 900_000);
      const series = this.loadProfileKw[a]!;
      qhCache[a] = series[Math.min(series.length - 1, Math.max(0, qh))]!;
    }
    for (let i = 0; i < loadN; i++) {
      const noise = this.loadNoise[i]!;
      const p = qhCache[this.loadAssetOf[i]!]! * noise[Math.min(noise.length - 1, minute)]!;
      this.loadPowerKw[i] = p;
      sum += p;
    }

    for (let k = 0; k < this.seriesAssets.length; k++) {
      const s = this.seriesAssets[k]!;
      const p = interpolateSeries(s, t);
      this.seriesPowerKw[k] = p;
      sum += p;
    }
    for (const st of this.storages) sum += st.physics.powerKw;
    for (const hp of this.heatPumps) sum += hp.powerKw;
    this.breakerKw = sum;
  }

  private readonly weatherNow = { ghiWm2: 0, dniWm2: 0, dhiWm2: 0, tempC: 0, windMs: 0, rhPct: 0 };

  private updateWeather(t: number): void {
    const w = this.weather;
    const n = w.timeMs.length;
    let i = this.weatherCursor;
    while (i < n - 2 && w.timeMs[i + 1]! <= t) i++;
    this.weatherCursor = i;
    const j = Math.min(i + 1, n - 1);
    const t0 = w.timeMs[i]!;
    const t1 = w.timeMs[j]!;
    const f = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    const out = this.weatherNow;
    out.ghiWm2 = w.ghiWm2[i]! + f * (w.ghiWm2[j]! - w.ghiWm2[i]!);
    out.dniWm2 = w.dniWm2[i]! + f * (w.dniWm2[j]! - w.dniWm2[i]!);
    out.dhiWm2 = w.dhiWm2[i]! + f * (w.dhiWm2[j]! - w.dhiWm2[i]!);
    out.tempC = w.tempC[i]! + f * (w.tempC[j]! - w.tempC[i]!);
    out.windMs = w.windMs[i]! + f * (w.windMs[j]! - w.windMs[i]!);
    out.rhPct = w.rhPct[i]! + f * (w.rhPct[j]! - w.rhPct[i]!);
    this.outdoorC = out.tempC;
    this.ghiWm2 = out.ghiWm2;
  }

  /** A PV member's curtailment floor in force, or NaN when none. */
  pvSetpointKw(index: number): number {
    const floor = this.pvFloorKw[index]!;
    return Number.isFinite(floor) ? floor : NaN;
  }

  heatPumpId(index: number): string {
    return this.heatPumpIds[index]!;
  }
}

function interpolateSeries(s: { asset: SeriesAsset; timeMs: Float64Array; valueKw: Float64Array; cursor: number }, t: number): number {
  const n = s.timeMs.length;
  if (n === 0) return 0;
  let i = s.cursor;
  while (i < n - 1 && s.timeMs[i + 1]! <= t) i++;
  s.cursor = i;
  if (t <= s.timeMs[0]!) return s.valueKw[0]!;
  if (i >= n - 1) return s.valueKw[n - 1]!;
  if (s.asset.interpolation === 'hold') return s.valueKw[i]!;
  const t0 = s.timeMs[i]!;
  const t1 = s.timeMs[i + 1]!;
  return s.valueKw[i]! + ((t - t0) / (t1 - t0)) * (s.valueKw[i + 1]! - s.valueKw[i]!);
}

/** A heat-pump asset's physics in the flat form the simulator and the engine's configuration share. */
export function heatPumpParams(a: HeatPumpAsset): HeatPumpParams {
  return {
    powerKw: a.powerKw,
    cop: a.cop,
    capacityKwhPerK: a.thermal.capacityKwhPerK,
    lossKwPerK: a.thermal.lossKwPerK,
    indoorInitC: a.thermal.indoorInitC,
    indoorMinC: a.thermal.indoorMinC,
    indoorMaxC: a.thermal.indoorMaxC,
    setpointC: a.thermal.setpointC,
    minOnS: a.minOnS,
    minOffS: a.minOffS,
  };
}
