/**
 * A run as a file: CSV, XLSX or JSON, each with the run record (trigger as received, end reason, versions),
 * every KPI with its unit, and the run's time series with units in the headers.
 *
 * - CSV: the run and its KPIs first, as `#`-comment lines (`# key,value,unit`), then one table with a
 *   `time (UTC)` column (ISO 8601), a `local time (<zone>)` column with the offset when the site's zone is
 *   known, and one column per series, e.g. `breaker.measuredKw [kW]`. Tools skip the comments
 *   (`pandas.read_csv(path, comment='#')`, LibreOffice "skip lines starting with #"). In the console's
 *   language: English writes `,` between fields and `.` decimals; German writes `;` and `,` decimals, as
 *   German Excel reads them (it garbled the English file's KPIs). Numbers carry at most 4 decimals
 *   (0.1 W on kW), not 17 digits of float noise.
 * - XLSX (exceljs): sheet "KPIs" (run fields, then key / value / unit) and sheet "Time series" (same
 *   columns as the CSV; times as real Excel dates in UTC).
 * - JSON (`lfc-run-export/1`): the run record as stored, the flattened KPIs, the series as arrays and the
 *   run's events.
 */
import ExcelJS from 'exceljs';

import type { ExportFormat, ExportedFile, RunDto, StoredEventDto } from '../shared/ipc-contract';
import { flattenKpis, unitOf } from './series';

export const RUN_EXPORT_FORMAT = 'lfc-run-export/1';

export interface RunExportInput {
  run: RunDto;
  /** Series of the run, in column order; all on the breaker-sample grid or their own (joined by time). */
  series: Array<{ seriesId: string; timeMs: Float64Array; value: Float64Array }>;
  events: StoredEventDto[];
}

const iso = (ms: number | null): string => (ms === null ? '' : new Date(ms).toISOString());

/** The run's own fields as key/value rows (the part of the record that is not a KPI). */
export function runFields(run: RunDto): Array<[string, string | number | null]> {
  return [
    ['runId', run.runId],
    ['sessionId', run.sessionId],
    ['scenario', run.scenario],
    ['controller', run.controller],
    ['useCase', run.useCase],
    ['start', iso(run.startMs)],
    ['end', iso(run.endMs)],
    ['endReason', run.endReason],
    ['trigger', JSON.stringify(run.trigger)],
    ['appVersion', run.appVersion],
    ['configVersion', run.configVersion],
  ];
}

/** Joins series on their time stamps into rows (time ascending); a missing value is NaN. */
export function joinSeries(series: RunExportInput['series']): { timeMs: number[]; columns: Float64Array[] } {
  const times = new Set<number>();
  for (const s of series) for (const t of s.timeMs) times.add(t);
  const timeMs = [...times].sort((a, b) => a - b);
  const index = new Map(timeMs.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const col = new Float64Array(timeMs.length).fill(NaN);
    for (let i = 0; i < s.timeMs.length; i++) col[index.get(s.timeMs[i]!)!] = s.value[i]!;
    return col;
  });
  return { timeMs, columns };
}

export const header = (seriesId: string): string => {
  const unit = unitOf(seriesId);
  return unit ? `${seriesId} [${unit}]` : seriesId;
};

export interface CsvDialect {
  /** The console's language: `en` → `,` and `.`; `de` → `;` and `,`. */
  language: 'en' | 'de';
  /** The site's IANA time zone, for the local-time column; none when unknown. */
  timeZone?: string | null;
}

/** A number as the dialect writes it: at most 4 decimals, no trailing zeros, the dialect's decimal mark. */
export function csvNumber(v: number, language: CsvDialect['language']): string {
  if (!Number.isFinite(v)) return '';
  const s = String(Number(v.toFixed(4)) || 0);
  return language === 'de' ? s.replace('.', ',') : s;
}

/** ISO 8601 with the zone's offset at that instant, e.g. `2026-06-21T11:00:00+02:00`. */
export function isoInZone(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
  const offsetMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const hh = String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0');
  const mm = String(Math.abs(offsetMin) % 60).padStart(2, '0');
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}:${parts['second']}${sign}${hh}:${mm}`;
}

export function runCsv(input: RunExportInput, dialect: CsvDialect = { language: 'en' }): string {
  const sep = dialect.language === 'de' ? ';' : ',';
  const cell = (v: string | number | boolean | null): string => {
    if (v === null) return '';
    const s = typeof v === 'number' ? csvNumber(v, dialect.language) : String(v);
    return s.includes(sep) || /["\n#]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const tz = dialect.timeZone ?? null;
  const lines: string[] = [`# Local Flex Controller run export (${RUN_EXPORT_FORMAT})`, `# times: UTC${tz ? ` and ${tz}` : ''}`, `# ${['key', 'value', 'unit'].join(sep)}`];
  for (const [k, v] of runFields(input.run)) lines.push(`# ${[k, cell(v), ''].join(sep)}`);
  for (const row of flattenKpis(input.run.kpis)) lines.push(`# ${[`kpi.${row.key}`, cell(row.value), row.unit].join(sep)}`);
  const { timeMs, columns } = joinSeries(input.series);
  lines.push(['time (UTC)', ...(tz ? [`local time (${tz})`] : []), ...input.series.map((s) => header(s.seriesId))].join(sep));
  for (let i = 0; i < timeMs.length; i++) {
    const t = timeMs[i]!;
    lines.push([iso(t), ...(tz ? [isoInZone(t, tz)] : []), ...columns.map((c) => cell(c[i]!))].join(sep));
  }
  return lines.join('\n') + '\n';
}

export async function runXlsx(input: RunExportInput): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Local Flex Controller';
  const kpiSheet = wb.addWorksheet('KPIs');
  kpiSheet.columns = [
    { header: 'key', key: 'key', width: 44 },
    { header: 'value', key: 'value', width: 28 },
    { header: 'unit', key: 'unit', width: 8 },
  ];
  kpiSheet.getRow(1).font = { bold: true };
  for (const [k, v] of runFields(input.run)) kpiSheet.addRow({ key: k, value: v ?? '', unit: '' });
  for (const row of flattenKpis(input.run.kpis)) kpiSheet.addRow({ key: `kpi.${row.key}`, value: row.value ?? '', unit: row.unit });

  const ts = wb.addWorksheet('Time series');
  ts.columns = [{ header: 'time (UTC)', key: 'time', width: 22, style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } }, ...input.series.map((s) => ({ header: header(s.seriesId), key: s.seriesId, width: 22 }))];
  ts.getRow(1).font = { bold: true };
  ts.views = [{ state: 'frozen', ySplit: 1 }];
  const { timeMs, columns } = joinSeries(input.series);
  for (let i = 0; i < timeMs.length; i++) {
    const row: Array<Date | number | null> = [new Date(timeMs[i]!)];
    for (const c of columns) row.push(Number.isFinite(c[i]!) ? c[i]! : null);
    ts.addRow(row);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function runJson(input: RunExportInput): string {
  return (
    JSON.stringify(
      {
        format: RUN_EXPORT_FORMAT,
        run: input.run,
        kpis: flattenKpis(input.run.kpis),
        series: Object.fromEntries(
          input.series.map((s) => [s.seriesId, { unit: unitOf(s.seriesId), timeMs: Array.from(s.timeMs), value: Array.from(s.value, (v) => (Number.isFinite(v) ? v : null)) }]),
        ),
        events: input.events,
      },
      null,
      2,
    ) + '\n'
  );
}

const MIME: Record<ExportFormat, string> = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json',
};

export async function exportRun(input: RunExportInput, format: ExportFormat, dialect: CsvDialect = { language: 'en' }): Promise<ExportedFile> {
  const base = `${input.run.scenario ?? 'live'}-${input.run.runId}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
  const bytes = format === 'xlsx' ? await runXlsx(input) : Buffer.from(format === 'csv' ? runCsv(input, dialect) : runJson(input), 'utf8');
  return { fileName: `${base}.${format}`, mimeType: MIME[format], base64: bytes.toString('base64') };
}
