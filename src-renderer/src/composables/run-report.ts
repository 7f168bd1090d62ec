/**
 * The trial report of a run: the figures a trial engineer hands in, from the run record alone (`RunDto`:
 * the trigger as received, the KPIs as computed at the run's end, the versions). Every KPI has a label, a
 * unit and its basis (`../shared/docs/KPI.md`) by an id under `reportKpi.*` / `reportBasis.*` in the
 * messages; a figure the catalogue does not know yet is still listed, under its key, so the report never
 * drops one. Pure functions of the record, the locale and the site's zone: unit-tested without a DOM.
 */
import type { RunDto } from '../api';
import { basisKey, formatDuration, formatKw, formatTime, formatValue } from './format';
import type { Locale } from './format';

export type Translate = (key: string, values?: Record<string, unknown>) => string;

type Kind =
  /** A number with its unit and digits. */
  | { kind: 'num'; unit: string; digits: number }
  /** Seconds, shown as a duration ("1 h 05 min") with the exact seconds beside it. */
  | { kind: 'dur' }
  /** An ISO UTC time, shown in the site's zone. */
  | { kind: 'time' }
  /** `{p50,p95,p99,max,count}` of a loop hop, ms. */
  | { kind: 'latency' }
  /** `{at60,at30,at15}`, s. */
  | { kind: 'horizons' }
  /** `{total,valid,invalid}`. */
  | { kind: 'samples' };

/** One line of the KPI table: where the figure is in the record, and which KPI it belongs to. */
export interface ReportKpiDef {
  /** Message id (`reportKpi.<id>`, `reportBasis.<id>`). */
  id: string;
  path: string;
  group: 'K01' | 'K02' | 'K03' | 'data';
  format: Kind;
}

const kw = (digits = 2): Kind => ({ kind: 'num', unit: 'kW', digits });
const pct: Kind = { kind: 'num', unit: '%', digits: 1 };
const count: Kind = { kind: 'num', unit: '', digits: 0 };

/** The KPI table in the order KPI.md gives them: K03, K02, K01, then the data they rest on. */
export const REPORT_KPIS: ReportKpiDef[] = [
  { id: 'maeKw', path: 'accuracy.maeKw', group: 'K03', format: kw() },
  { id: 'rmseKw', path: 'accuracy.rmseKw', group: 'K03', format: kw() },
  { id: 'maxAbsErrorKw', path: 'accuracy.maxAbsErrorKw', group: 'K03', format: kw() },
  { id: 'biasKw', path: 'accuracy.biasKw', group: 'K03', format: kw() },
  { id: 'withinBandPct', path: 'accuracy.withinBandPct', group: 'K03', format: pct },
  { id: 'energyErrorKwh', path: 'accuracy.energyErrorKwh', group: 'K03', format: { kind: 'num', unit: 'kWh', digits: 2 } },
  { id: 'netEnergyErrorKwh', path: 'accuracy.netEnergyErrorKwh', group: 'K03', format: { kind: 'num', unit: 'kWh', digits: 2 } },
  { id: 'mae15MinKw', path: 'accuracy.mae15MinKw', group: 'K03', format: kw() },
  { id: 'quarterHours', path: 'accuracy.quarterHours', group: 'K03', format: count },
  { id: 'accuracySamples', path: 'accuracy.samples', group: 'K03', format: count },
  { id: 'cutoffAt', path: 'accuracy.cutoffAt', group: 'K03', format: { kind: 'time' } },
  { id: 'settlingMaeKw', path: 'accuracy.settling.maeKw', group: 'K03', format: kw() },
  { id: 'settlingMaxAbsErrorKw', path: 'accuracy.settling.maxAbsErrorKw', group: 'K03', format: kw() },
  { id: 'settlingWithinBandPct', path: 'accuracy.settling.withinBandPct', group: 'K03', format: pct },
  { id: 'settlingSamples', path: 'accuracy.settling.samples', group: 'K03', format: count },
  { id: 'firstSetpointS', path: 'responsiveness.firstSetpointS', group: 'K02', format: { kind: 'num', unit: 's', digits: 1 } },
  { id: 'settlingS', path: 'responsiveness.settlingS', group: 'K02', format: { kind: 'num', unit: 's', digits: 0 } },
  { id: 'referenceAt', path: 'responsiveness.referenceAt', group: 'K02', format: { kind: 'time' } },
  { id: 'staleSamples', path: 'responsiveness.staleSamples', group: 'K02', format: count },
  // One row per loop hop (the record names them): added by `reportKpiRows`.
  { id: 'requestedS', path: 'availability.requestedS', group: 'K01', format: { kind: 'dur' } },
  { id: 'requestedStartAt', path: 'availability.requestedStartAt', group: 'K01', format: { kind: 'time' } },
  { id: 'requestedEndAt', path: 'availability.requestedEndAt', group: 'K01', format: { kind: 'time' } },
  { id: 'heldS', path: 'availability.heldS', group: 'K01', format: { kind: 'dur' } },
  { id: 'heldPctOfRequested', path: 'availability.heldPctOfRequested', group: 'K01', format: pct },
  { id: 'inForceS', path: 'availability.inForceS', group: 'K01', format: { kind: 'dur' } },
  { id: 'coveredPct', path: 'availability.coveredPct', group: 'K01', format: pct },
  { id: 'minHeadroomUpKw', path: 'availability.minHeadroomUpKw', group: 'K01', format: kw(1) },
  { id: 'minHeadroomDownKw', path: 'availability.minHeadroomDownKw', group: 'K01', format: kw(1) },
  { id: 'minEnergyCoverPct', path: 'availability.minEnergyCoverPct', group: 'K01', format: pct },
  { id: 'energyChecks', path: 'availability.energyChecks', group: 'K01', format: count },
  { id: 'predictedExhaustionAt', path: 'availability.predictedExhaustionAt', group: 'K01', format: { kind: 'time' } },
  { id: 'actualExhaustionAt', path: 'availability.actualExhaustionAt', group: 'K01', format: { kind: 'time' } },
  { id: 'exhaustionLeadS', path: 'availability.exhaustion.exhaustionLeadS', group: 'K01', format: { kind: 'dur' } },
  { id: 'exhaustionErrorS', path: 'availability.exhaustion.exhaustionErrorS', group: 'K01', format: { kind: 'horizons' } },
  { id: 'falseAlarmS', path: 'availability.exhaustion.falseAlarmS', group: 'K01', format: { kind: 'dur' } },
  { id: 'forecasts', path: 'availability.exhaustion.forecasts', group: 'K01', format: count },
  { id: 'availabilitySamples', path: 'availability.samples', group: 'K01', format: count },
  { id: 'uncoveredAfterEndSamples', path: 'availability.uncoveredAfterEndSamples', group: 'K01', format: count },
  { id: 'samples', path: 'samples', group: 'data', format: { kind: 'samples' } },
];

/** Loop hops with a label of their own (others are named by their key). */
export const LATENCY_HOPS = ['sensorToEms', 'decision', 'emsToAck', 'total'] as const;

export interface ReportKpiRow {
  /** Dotted path in the record (kept as the row's id for tests and the JSON export's reader). */
  path: string;
  group: ReportKpiDef['group'] | 'other';
  label: string;
  value: string;
  basis: string;
}

function at(record: unknown, path: string): unknown {
  let v: unknown = record;
  for (const p of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Seconds as "1 h 05 min (3 900 s)"; short ones as seconds only. */
function durationText(s: number | null, locale: Locale): string {
  if (s === null) return '—';
  if (Math.abs(s) < 120) return formatValue(s, 's', locale, 0);
  return `${formatDuration(s, locale)} (${formatValue(s, 's', locale, 0)})`;
}

/** Date and time to the second in the site's zone ("21/06/2026, 10:42:10"), or a dash. */
export function fullTime(ms: number | null, locale: Locale, timeZone: string): string {
  return ms === null || !Number.isFinite(ms) ? '—' : `${formatTime(ms, locale, timeZone, true)}:${formatTime(ms, locale, timeZone).slice(-2)}`;
}

/** An ISO time in the site's zone with its date, or a dash. */
function isoTime(v: unknown, locale: Locale, timeZone: string): string {
  return fullTime(typeof v === 'string' ? Date.parse(v) : null, locale, timeZone);
}

function formatFigure(format: Kind, v: unknown, locale: Locale, timeZone: string, t: Translate): string {
  switch (format.kind) {
    case 'num':
      return formatValue(num(v), format.unit, locale, format.digits);
    case 'dur':
      return durationText(num(v), locale);
    case 'time':
      return isoTime(v, locale, timeZone);
    case 'latency': {
      const o = (v ?? {}) as Record<string, unknown>;
      const ms = (x: unknown) => formatValue(num(x), 'ms', locale, num(x) !== null && num(x)! >= 100 ? 0 : 1);
      return `p50 ${ms(o['p50'])} · p95 ${ms(o['p95'])} · p99 ${ms(o['p99'])} · max ${ms(o['max'])} (n = ${formatValue(num(o['count']), '', locale, 0)})`;
    }
    case 'horizons': {
      const o = (v ?? {}) as Record<string, unknown>;
      const h = (k: string) => (num(o[k]) === null ? t('report.miss') : durationText(num(o[k]), locale));
      return `60 min: ${h('at60')} · 30 min: ${h('at30')} · 15 min: ${h('at15')}`;
    }
    case 'samples': {
      const o = (v ?? {}) as Record<string, unknown>;
      return t('report.samplesValue', { total: formatValue(num(o['total']), '', locale, 0), valid: formatValue(num(o['valid']), '', locale, 0), invalid: formatValue(num(o['invalid']), '', locale, 0) });
    }
  }
}

/** Every leaf path of a KPI record (objects walked, arrays kept whole). */
function leafPaths(v: unknown, path: string[] = [], out: string[] = []): string[] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) leafPaths(x, [...path, k], out);
  else out.push(path.join('.'));
  return out;
}

/**
 * The KPI table: every catalogued figure the record has, one row per loop hop, then whatever the record
 * holds that the catalogue does not know (under its key, so nothing is dropped). Empty without KPIs.
 */
export function reportKpiRows(kpis: Record<string, unknown> | null, locale: Locale, timeZone: string, t: Translate): ReportKpiRow[] {
  if (!kpis) return [];
  const rows: ReportKpiRow[] = [];
  const covered: string[] = [];
  const row = (def: ReportKpiDef, label: string, basis: string): void => {
    rows.push({ path: def.path, group: def.group, label, value: formatFigure(def.format, at(kpis, def.path), locale, timeZone, t), basis });
    covered.push(def.path);
  };
  for (const def of REPORT_KPIS) {
    if (def.id === 'requestedS') {
      // The loop hops belong to K02, before K01's rows.
      const hops = at(kpis, 'responsiveness.loopLatencyMs');
      if (hops && typeof hops === 'object') {
        for (const hop of Object.keys(hops)) {
          const known = (LATENCY_HOPS as readonly string[]).includes(hop);
          row({ id: 'loopLatency', path: `responsiveness.loopLatencyMs.${hop}`, group: 'K02', format: { kind: 'latency' } }, t('reportKpi.loopLatency', { hop: known ? t(`reportHop.${hop}`) : hop }), t('reportBasis.loopLatency'));
        }
      }
    }
    if (at(kpis, def.path) === undefined) continue;
    let label = t(`reportKpi.${def.id}`);
    if (def.id === 'requestedS') {
      const basis = at(kpis, 'availability.requestedBasis');
      if (typeof basis === 'string') label += ` (${t(basisKey(basis))})`;
      covered.push('availability.requestedBasis');
    }
    if (def.id === 'referenceAt') {
      const kind = at(kpis, 'responsiveness.referenceKind');
      if (typeof kind === 'string') label += ` (${t(`reportReferenceKind.${kind}`)})`;
      covered.push('responsiveness.referenceKind');
    }
    row(def, label, t(`reportBasis.${def.id}`));
  }
  const isCovered = (p: string) => covered.some((c) => p === c || p.startsWith(`${c}.`));
  for (const p of leafPaths(kpis)) {
    if (isCovered(p)) continue;
    const v = at(kpis, p);
    rows.push({ path: p, group: 'other', label: p, value: typeof v === 'number' ? formatValue(v, '', locale, Number.isInteger(v) ? 0 : 2) : v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v), basis: '' });
  }
  return rows;
}

/** The trigger as received, as label/value lines. */
export function triggerLines(trigger: Record<string, unknown>, locale: Locale, timeZone: string, t: Translate): Array<{ id: string; label: string; value: string }> {
  const lines: Array<{ id: string; label: string; value: string }> = [];
  const add = (id: string, value: string) => lines.push({ id, label: t(`reportTrigger.${id}`), value });
  const uc = num(trigger['useCase']);
  add('id', typeof trigger['id'] === 'string' ? trigger['id'] : '—');
  add('source', typeof trigger['source'] === 'string' ? trigger['source'] : '—');
  add('receivedAt', fullTime(num(trigger['receivedMs']), locale, timeZone));
  if (num(trigger['startMs']) !== null && num(trigger['startMs']) !== num(trigger['receivedMs'])) add('startAt', fullTime(num(trigger['startMs']), locale, timeZone));
  add('useCase', uc === null ? '—' : `${uc} – ${t(`reportUseCase.${uc}`)}`);
  add('targetKw', formatKw(num(trigger['targetKw']), locale, 1));
  add('durationS', num(trigger['durationS']) === null ? t('report.openEnded') : durationText(num(trigger['durationS']), locale));
  add('toleranceKw', `± ${formatKw(num(trigger['toleranceKw']), locale, 1)}`);
  const schedule = Array.isArray(trigger['schedule']) ? (trigger['schedule'] as Array<Record<string, unknown>>) : [];
  schedule.forEach((p, i) =>
    lines.push({
      id: `package-${i + 1}`,
      label: t('reportTrigger.package', { n: i + 1 }),
      value: `${formatTime(num(p['fromMs']), locale, timeZone, true)} – ${formatTime(num(p['toMs']), locale, timeZone, true)}: ${formatKw(num(p['targetKw']), locale, 1)}`,
    }),
  );
  return lines;
}

/** The report's headline: what was asked, how it ended, how much of it was held and on what basis. */
export interface ReportHeadline {
  site: string;
  runId: string;
  useCase: string;
  target: string;
  requested: string;
  endReason: string;
  held: string;
  withinBand: string;
  covered: string;
  minEnergyCover: string;
  exhaustion: string;
}

export function reportHeadline(run: RunDto, locale: Locale, timeZone: string, t: Translate): ReportHeadline {
  const k = run.kpis;
  const trig = run.trigger;
  const uc = num(trig['useCase']) ?? run.useCase;
  const schedule = Array.isArray(trig['schedule']) ? (trig['schedule'] as Array<Record<string, unknown>>) : [];
  const targets = schedule.map((p) => num(p['targetKw'])).filter((x): x is number => x !== null);
  const target =
    num(trig['targetKw']) !== null
      ? `${formatKw(num(trig['targetKw']), locale, 1)} ± ${formatKw(num(trig['toleranceKw']), locale, 1)}`
      : targets.length > 0
        ? `${t('report.packages', { n: targets.length })}: ${formatKw(Math.min(...targets), locale, 0)} … ${formatKw(Math.max(...targets), locale, 0)} ± ${formatKw(num(trig['toleranceKw']), locale, 1)}`
        : uc === 1
          ? `${formatKw(0, locale, 1)} ± ${formatKw(num(trig['toleranceKw']), locale, 1)}`
          : '—';
  const requestedS = num(at(k, 'availability.requestedS'));
  const basis = at(k, 'availability.requestedBasis');
  const basisText = typeof basis === 'string' ? t(basisKey(basis)) : '—';
  const from = isoTime(at(k, 'availability.requestedStartAt'), locale, timeZone);
  const to = isoTime(at(k, 'availability.requestedEndAt'), locale, timeZone);
  const requested = requestedS === null ? '—' : t('report.requestedValue', { span: formatDuration(requestedS, locale), from, to, basis: basisText });
  const heldPct = num(at(k, 'availability.heldPctOfRequested'));
  const held = k === null ? '—' : t('report.heldValue', { pct: formatValue(heldPct, '%', locale, 1), held: formatDuration(num(at(k, 'availability.heldS')), locale), requested: formatDuration(requestedS, locale), basis: basisText });
  const lead = num(at(k, 'availability.exhaustion.exhaustionLeadS'));
  const actual = at(k, 'availability.actualExhaustionAt');
  const falseAlarm = num(at(k, 'availability.exhaustion.falseAlarmS'));
  const errors = at(k, 'availability.exhaustion.exhaustionErrorS');
  const exhaustion =
    k === null
      ? '—'
      : typeof actual === 'string'
        ? t('report.exhaustionAt', { at: isoTime(actual, locale, timeZone), lead: durationText(lead, locale), errors: formatFigure({ kind: 'horizons' }, errors, locale, timeZone, t) })
        : t('report.noExhaustion', { falseAlarm: durationText(falseAlarm ?? 0, locale) });
  return {
    site: run.scenario ?? '—',
    runId: run.runId,
    useCase: `${uc} – ${t(`reportUseCase.${uc}`)}`,
    target,
    requested,
    endReason: run.endReason ? t(`endReason.${run.endReason}`) : t('runs.running'),
    held,
    withinBand: formatValue(num(at(k, 'accuracy.withinBandPct')), '%', locale, 1),
    covered: formatValue(num(at(k, 'availability.coveredPct')), '%', locale, 1),
    minEnergyCover: formatValue(num(at(k, 'availability.minEnergyCoverPct')), '%', locale, 1),
    exhaustion,
  };
}

/** "UTC+2" style offset of a zone at an instant, for saying which zone the report's times are in. */
export function zoneOffsetName(ms: number, timeZone: string): string {
  try {
    const part = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'shortOffset' }).formatToParts(ms).find((p) => p.type === 'timeZoneName');
    return part ? part.value.replace('GMT', 'UTC') : 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Whether a run came from the field EMS (which signs its record) rather than the simulator. */
export function isFieldRun(run: Pick<RunDto, 'sessionId'>): boolean {
  return run.sessionId.startsWith('field-');
}
