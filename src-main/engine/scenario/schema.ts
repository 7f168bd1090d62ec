/**
 * The `lfc-scenario/1` format (see docs/SCENARIOS.md, which is the contract) as a zod 4 schema.
 *
 * Every object is strict: an unknown field is an error, so a typo (`energyKwH`) never passes silently and
 * never leaves the real field at a default.
 *
 * Field schemas carry their expectation in words (`params.expected`) so that validate.ts can say
 * "expected a positive number, got -5" instead of zod's generic English. Checks that relate several fields
 * (start < end, soc bands, ids that must exist, …) live in validate.ts, not here.
 *
 * Fields the product adds on top of SCENARIOS.md (all optional, so every file written to the contract
 * still loads):
 * - `site.country`: ISO 3166-1 alpha-2 code (e.g. "DE", "IT"), used for public holidays in load profiles
 *   (holidays are load-profile Sundays). When absent the consumer derives it from `site.timezone`.
 * - `bess.setpointTtlS`: how long a BESS setpoint stays in force without being renewed before the BESS
 *   returns to its default (0 kW). Default 6 × `control.bessPeriodS`: long enough to ride through a few
 *   missed control cycles, short enough that a dead EMS never leaves the battery running for minutes.
 * - `householdStorage.setpointTtlS`: the same for a household storage, whose default is self-consumption.
 *   Default 2 × `control.dispatchPeriodS`, as SCENARIOS.md says.
 * `measurement.assetPeriodS` is part of the contract already. Use {@link setpointTtlS} to resolve defaults.
 */
import { z } from 'zod';
import { DEFAULT_TOLERANCE_KW } from '../model.js';

export const SCENARIO_FORMAT = 'lfc-scenario/1';

// ---------------------------------------------------------------------------------------------------
// Time

const ISO_DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Splits an ISO 8601 date-time into its wall-clock time (as if it were UTC, in ms) and its offset.
 * Returns null for anything that is not a real calendar time (Feb 30, 25:00, …). We parse by hand rather
 * than with Date.parse because Date.parse accepts local times silently (interpreting them in the machine's
 * zone, which would make a replay depend on where it runs) and rejects nothing calendar-wise.
 */
export function parseIsoDateTimeParts(text: string): { wallMs: number; offsetMin: number | null } | null {
  const m = ISO_DATE_TIME_RE.exec(text);
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fractionS = m[7] === undefined ? 0 : Number(`0${m[7]}`);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second) + fractionS * 1000;
  const off = m[8];
  if (off === undefined) return { wallMs, offsetMin: null };
  if (off === 'Z') return { wallMs, offsetMin: 0 };
  const offH = Number(off.slice(1, 3));
  const offM = Number(off.slice(4, 6));
  if (offH > 23 || offM > 59) return null;
  const sign = off.startsWith('-') ? -1 : 1;
  return { wallMs, offsetMin: sign * (offH * 60 + offM) };
}

/** UTC milliseconds of an ISO 8601 date-time WITH offset (or Z); NaN if invalid or without offset. */
export function parseIsoDateTimeMs(text: string): number {
  const p = parseIsoDateTimeParts(text);
  if (p === null || p.offsetMin === null) return Number.NaN;
  return p.wallMs - p.offsetMin * 60_000;
}

// ---------------------------------------------------------------------------------------------------
// Field schemas. z.custom with `params.expected` gives one issue naming the whole expectation, whether the
// value has the wrong type or the wrong range (a string where a positive number belongs reads the same as
// -5 there).

function numberWhere(expected: string, ok: (v: number) => boolean = () => true) {
  return z.custom<number>((v) => typeof v === 'number' && Number.isFinite(v) && ok(v), { params: { expected } });
}

const anyNumber = () => numberWhere('a number');
const positive = () => numberWhere('a positive number', (v) => v > 0);
const nonNegative = () => numberWhere('a number ≥ 0', (v) => v >= 0);
const percent = () => numberWhere('a percentage in 0..100', (v) => v >= 0 && v <= 100);
const efficiency = () => numberWhere('an efficiency in (0, 1]', (v) => v > 0 && v <= 1);
// The upper bound catches a slipped digit before it makes a million member assets.
export const MAX_MEMBER_COUNT = 10_000;
const memberCount = () =>
  numberWhere(`a whole number in 1..${MAX_MEMBER_COUNT}`, (v) => Number.isInteger(v) && v >= 1 && v <= MAX_MEMBER_COUNT);

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const assetId = () =>
  z.custom<string>((v) => typeof v === 'string' && ID_RE.test(v), {
    params: { expected: 'an id of letters, digits, "_", "." or "-" (starting with a letter or digit)' },
  });

const isoDateTime = () =>
  z.custom<string>((v) => typeof v === 'string' && Number.isFinite(parseIsoDateTimeMs(v)), {
    params: { expected: 'an ISO 8601 date-time with offset, like "2026-06-21T09:00:00+02:00"' },
  });

const nonEmptyString = (what: string) =>
  z.custom<string>((v) => typeof v === 'string' && v.trim().length > 0, { params: { expected: what } });

function isIanaTimezone(v: string): boolean {
  try {
    // Intl throws a RangeError for zones it does not know; that is the check we want.
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Sections

export const SiteSchema = z.strictObject({
  latitude: numberWhere('a latitude in -90..90', (v) => v >= -90 && v <= 90),
  longitude: numberWhere('a longitude in -180..180', (v) => v >= -180 && v <= 180),
  // Elevation may be below sea level (polders, the Dead Sea), so any number.
  elevationM: anyNumber(),
  timezone: z.custom<string>((v) => typeof v === 'string' && isIanaTimezone(v), {
    params: { expected: 'an IANA time zone such as "Europe/Berlin"' },
  }),
  connectionLimitKw: positive(),
  /** Product extension: ISO 3166-1 alpha-2, for public holidays. Default derived from the timezone elsewhere. */
  country: z
    .custom<string>((v) => typeof v === 'string' && /^[A-Z]{2}$/.test(v), {
      params: { expected: 'an ISO 3166-1 alpha-2 country code such as "DE"' },
    })
    .optional(),
});

export const MeasurementSchema = z.strictObject({
  breakerPeriodS: positive(),
  assetPeriodS: positive(),
  breakerNoiseKw: nonNegative(),
  delayS: nonNegative(),
});

export const ControlSchema = z.strictObject({
  bessPeriodS: positive(),
  dispatchPeriodS: positive(),
});

export const WeatherSchema = z.strictObject({
  actual: z.strictObject({ file: nonEmptyString('a file path relative to the scenario') }),
  // Optional: a scenario may run without a forecast (the EMS then plans without one).
  forecast: z
    .strictObject({
      file: nonEmptyString('a file path relative to the scenario'),
      format: z.enum(['open-meteo', 'mosmix']),
    })
    .optional(),
});

const storageFields = {
  id: assetId(),
  powerKw: positive(),
  energyKwh: positive(),
  socInitPct: percent(),
  socMinPct: percent(),
  socMaxPct: percent(),
  roundTripEfficiency: efficiency(),
  rampKwPerS: positive(),
  responseDelayS: nonNegative(),
};

export const BessAssetSchema = z.strictObject({
  kind: z.literal('bess'),
  ...storageFields,
  /** Product extension: setpoint lifetime without renewal; default 6 × control.bessPeriodS. */
  setpointTtlS: positive().optional(),
});

export const PairedWithSchema = z.strictObject({ load: assetId(), pv: assetId() });

export const HouseholdStorageAssetSchema = z.strictObject({
  kind: z.literal('householdStorage'),
  ...storageFields,
  count: memberCount(),
  mode: z.literal('selfConsumption'),
  pairedWith: PairedWithSchema,
  /** Product extension: setpoint lifetime without renewal; default 2 × control.dispatchPeriodS. */
  setpointTtlS: positive().optional(),
});

export const ThermalSchema = z.strictObject({
  capacityKwhPerK: positive(),
  lossKwPerK: positive(),
  indoorInitC: anyNumber(),
  indoorMinC: anyNumber(),
  indoorMaxC: anyNumber(),
  setpointC: anyNumber(),
});

export const HeatPumpAssetSchema = z.strictObject({
  kind: z.literal('heatPump'),
  id: assetId(),
  count: memberCount(),
  powerKw: positive(),
  cop: positive(),
  thermal: ThermalSchema,
  minOnS: nonNegative(),
  minOffS: nonNegative(),
});

export const PvAssetSchema = z.strictObject({
  kind: z.literal('pv'),
  id: assetId(),
  count: memberCount(),
  kwp: positive(),
  tiltDeg: numberWhere('a tilt in 0..90 degrees', (v) => v >= 0 && v <= 90),
  azimuthDeg: numberWhere('an azimuth in 0..360 degrees (180 = south)', (v) => v >= 0 && v <= 360),
  // 100 % losses would be a panel that produces nothing: almost certainly a mistake.
  lossesPct: numberWhere('a percentage in 0..100 (exclusive of 100)', (v) => v >= 0 && v < 100),
  curtailable: z.boolean(),
});

/** BDEW standard load profiles: the 1999 set and the 2025 set (H25, G25, L25, P25, S25). */
export const LOAD_PROFILES = ['H0', 'G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'L0', 'L1', 'L2', 'H25', 'G25', 'L25', 'P25', 'S25'] as const;

export const LoadAssetSchema = z.strictObject({
  kind: z.literal('load'),
  id: assetId(),
  count: memberCount(),
  profile: z.enum(LOAD_PROFILES),
  annualKwh: positive(),
  noisePct: percent(),
});

export const SeriesAssetSchema = z.strictObject({
  kind: z.literal('series'),
  id: assetId(),
  file: nonEmptyString('a file path relative to the scenario'),
  column: nonEmptyString('the name of a column in the series file'),
  // Only kW for now: a W or MW series would be off by 1000 without anyone noticing.
  unit: z.literal('kW'),
  interpolation: z.enum(['linear', 'hold']),
});

export const ASSET_KINDS = ['bess', 'householdStorage', 'heatPump', 'pv', 'load', 'series'] as const;

export const AssetSchema = z.discriminatedUnion('kind', [
  BessAssetSchema,
  HouseholdStorageAssetSchema,
  HeatPumpAssetSchema,
  PvAssetSchema,
  LoadAssetSchema,
  SeriesAssetSchema,
]);

// Events -------------------------------------------------------------------------------------------

const eventBase = {
  at: isoDateTime(),
  /** The trigger is received at `at` and the run starts at `startAt` (an announced request). */
  startAt: isoDateTime().optional(),
};

/** Allowed deviation before the KPIs count a sample as off target. */
const toleranceKw = () => positive().default(DEFAULT_TOLERANCE_KW);

export const SchedulePackageSchema = (expectedTarget: string, ok: (v: number) => boolean) =>
  z.strictObject({ from: isoDateTime(), to: isoDateTime(), targetKw: numberWhere(expectedTarget, ok) });

export const StopEventSchema = z.strictObject({ ...eventBase, useCase: z.literal(0) });

export const IslandEventSchema = z.strictObject({
  ...eventBase,
  useCase: z.literal(1),
  durationS: positive().optional(),
  toleranceKw: toleranceKw(),
});

export const FixedTargetEventSchema = z.strictObject({
  ...eventBase,
  useCase: z.literal(2),
  targetKw: anyNumber(),
  durationS: positive(),
  toleranceKw: toleranceKw(),
});

export const ImportPackagesEventSchema = z.strictObject({
  ...eventBase,
  useCase: z.literal(3),
  schedule: z.array(SchedulePackageSchema('an import target ≥ 0 kW', (v) => v >= 0)).min(1),
  durationS: positive().optional(),
  toleranceKw: toleranceKw(),
});

export const ExportPackagesEventSchema = z.strictObject({
  ...eventBase,
  useCase: z.literal(4),
  schedule: z.array(SchedulePackageSchema('an export target ≤ 0 kW', (v) => v <= 0)).min(1),
  durationS: positive().optional(),
  toleranceKw: toleranceKw(),
});

export const EventSchema = z.discriminatedUnion('useCase', [
  StopEventSchema,
  IslandEventSchema,
  FixedTargetEventSchema,
  ImportPackagesEventSchema,
  ExportPackagesEventSchema,
]);

// Faults -------------------------------------------------------------------------------------------

export const SITE_FAULT_KINDS = ['breakerSensorDropout', 'breakerSensorNaN', 'breakerSensorStuck', 'forecastMissing'] as const;
export const ASSET_FAULT_KINDS = ['assetOffline', 'assetSetpointRejected'] as const;
export const FAULT_KINDS = [...SITE_FAULT_KINDS, ...ASSET_FAULT_KINDS] as const;

export const SiteFaultSchema = z.strictObject({ at: isoDateTime(), kind: z.enum(SITE_FAULT_KINDS), durationS: positive() });
export const AssetFaultSchema = z.strictObject({
  at: isoDateTime(),
  kind: z.enum(ASSET_FAULT_KINDS),
  /** An asset id or a member id such as "hs-03". */
  asset: assetId(),
  durationS: positive(),
});

export const FaultSchema = z.discriminatedUnion('kind', [SiteFaultSchema, AssetFaultSchema]);

// The whole file -----------------------------------------------------------------------------------

export const ScenarioSchema = z.strictObject({
  format: z.literal(SCENARIO_FORMAT),
  name: z.custom<string>((v) => typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v), {
    // It becomes part of file names, so no spaces or slashes.
    params: { expected: 'a short id of letters, digits, "_", "." or "-" (it is used in file names)' },
  }),
  description: z.string().optional(),
  site: SiteSchema,
  start: isoDateTime(),
  end: isoDateTime(),
  stepS: positive(),
  seed: numberWhere('a whole number ≥ 0', (v) => Number.isSafeInteger(v) && v >= 0),
  measurement: MeasurementSchema,
  control: ControlSchema,
  weather: WeatherSchema,
  assets: z.array(AssetSchema).min(1),
  events: z.array(EventSchema).default([]),
  faults: z.array(FaultSchema).default([]),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioAsset = z.output<typeof AssetSchema>;
export type BessAsset = z.output<typeof BessAssetSchema>;
export type HouseholdStorageAsset = z.output<typeof HouseholdStorageAssetSchema>;
export type HeatPumpAsset = z.output<typeof HeatPumpAssetSchema>;
export type PvAsset = z.output<typeof PvAssetSchema>;
export type LoadAsset = z.output<typeof LoadAssetSchema>;
export type SeriesAsset = z.output<typeof SeriesAssetSchema>;
export type ScenarioEvent = z.output<typeof EventSchema>;
export type ScenarioFault = z.output<typeof FaultSchema>;
export type SchedulePackage = { from: string; to: string; targetKw: number };
export type AssetKind = ScenarioAsset['kind'];

/** Every field name the format knows, for "did you mean …?" on unknown fields. */
export const KNOWN_FIELD_NAMES: readonly string[] = [
  ...new Set(
    [
      ScenarioSchema,
      SiteSchema,
      MeasurementSchema,
      ControlSchema,
      WeatherSchema,
      WeatherSchema.shape.actual,
      BessAssetSchema,
      HouseholdStorageAssetSchema,
      PairedWithSchema,
      HeatPumpAssetSchema,
      ThermalSchema,
      PvAssetSchema,
      LoadAssetSchema,
      SeriesAssetSchema,
      StopEventSchema,
      IslandEventSchema,
      FixedTargetEventSchema,
      ImportPackagesEventSchema,
      SiteFaultSchema,
      AssetFaultSchema,
    ].flatMap((s) => Object.keys(s.shape)),
  ),
  'file',
  'format',
  'from',
  'to',
];

// ---------------------------------------------------------------------------------------------------
// Members and defaults

/** Kinds whose asset stands for `count` separate members, each an asset of its own to the EMS. */
export function hasMembers(asset: ScenarioAsset): asset is HouseholdStorageAsset | HeatPumpAsset | PvAsset | LoadAsset {
  return asset.kind === 'householdStorage' || asset.kind === 'heatPump' || asset.kind === 'pv' || asset.kind === 'load';
}

/**
 * Id of member k (1-based) of a counted asset: `<id>-01`, `<id>-02`, …. The number is zero-padded to at
 * least two digits and to the width of `count`, so with 120 households the ids are `hh-001` … `hh-120`
 * and sort in member order.
 */
export function memberId(groupId: string, k: number, count: number): string {
  const width = Math.max(2, String(count).length);
  return `${groupId}-${String(k).padStart(width, '0')}`;
}

/** All member ids of an asset (empty for kinds without members). */
export function memberIds(asset: ScenarioAsset): string[] {
  if (!hasMembers(asset)) return [];
  const ids: string[] = [];
  for (let k = 1; k <= asset.count; k++) ids.push(memberId(asset.id, k, asset.count));
  return ids;
}

/** Setpoint lifetime in seconds, with the documented defaults (see the file comment). */
export function setpointTtlS(scenario: Scenario, asset: BessAsset | HouseholdStorageAsset): number {
  if (asset.setpointTtlS !== undefined) return asset.setpointTtlS;
  return asset.kind === 'bess' ? 6 * scenario.control.bessPeriodS : 2 * scenario.control.dispatchPeriodS;
}
