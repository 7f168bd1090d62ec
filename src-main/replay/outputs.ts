/**
 * The replay's three files, exactly as `SCENARIOS.md` names them, as strings (the CLI writes them):
 * - `kpi.json` (`format: "lfc-kpi/1"`): one entry per run with the KPI.md fields under `accuracy`,
 *   `responsiveness`, `availability`, and the trigger as received.
 * - `timeseries.csv`: one row per breaker sample the sensor took (delivered or not, see `sensorStatus`),
 *   with the measured and target breaker power, the run whose KPIs count the sample, the engine's
 *   flexibility band, uncontrolled power and exhaustion flag for that sample, the control cycle's latency
 *   per hop, and every asset's setpoint, power and state of charge (or indoor temperature). With the run
 *   headers of `kpi.json` it holds everything the KPIs are computed from (`recompute.ts` proves it).
 * - `events.jsonl`: triggers, dispatches, faults noticed by the EMS, faults injected by the simulator
 *   (`source: "simulator"`), warnings — one JSON object per line, each with its time.
 *
 * Everything here is deterministic: no wall-clock times go into the files, so the same scenario and seed
 * give byte-identical outputs.
 */
import type { RunRecord } from '../engine/engine.js';
import type { Trigger } from '../engine/model.js';
import type { EngineEvent } from '../engine/model.js';
import type { ReplayResult } from './replay.js';

export const KPI_FORMAT = 'lfc-kpi/1';

const iso = (ms: number): string => new Date(ms).toISOString();

/** A trigger as received, with ISO times: in kpi.json's runs and in the history's run records alike. */
export interface StoredTrigger {
  id: string;
  source: string;
  receivedAt: string;
  startAt: string;
  useCase: number;
  targetKw: number | null;
  durationS: number | null;
  toleranceKw: number;
  schedule: Array<{ from: string; to: string; targetKw: number }> | null;
}

export function triggerAsReceived(t: Trigger): StoredTrigger {
  return {
    id: t.id,
    source: t.source,
    receivedAt: iso(t.receivedMs),
    startAt: iso(t.startMs),
    useCase: t.useCase,
    targetKw: t.targetKw,
    durationS: t.durationS,
    toleranceKw: t.toleranceKw,
    schedule: t.schedule ? t.schedule.map((p) => ({ from: iso(p.fromMs), to: iso(p.toMs), targetKw: p.targetKw })) : null,
  };
}

export function runSummary(run: RunRecord) {
  const t = run.trigger;
  const k = run.kpis;
  return {
    runId: run.runId,
    useCase: t.useCase,
    ...(t.schedule ? { schedule: t.schedule.map((p) => ({ from: iso(p.fromMs), to: iso(p.toMs), targetKw: p.targetKw })) } : { targetKw: t.useCase === 1 ? 0 : t.targetKw }),
    toleranceKw: t.toleranceKw,
    start: iso(run.startMs),
    end: run.endMs === null ? null : iso(run.endMs),
    requestedDurationS: t.durationS,
    endReason: run.endReason,
    /** The span every share is of, and why it ends there (KPI.md, "The requested span"). */
    requested: { startAt: iso(run.requested.startMs), endAt: run.requested.endMs === null ? null : iso(run.requested.endMs), basis: run.requested.basis },
    controller: run.controller,
    /** Raw facts the KPIs derive from that are not in timeseries.csv, so they can be recomputed. */
    firstSetpointAckAt: run.firstSetpointAckMs === null ? null : iso(run.firstSetpointAckMs),
    trigger: triggerAsReceived(t),
    /** The exhaustion forecast as the engine made it, slot by slot (null: none before the requested end). */
    exhaustionPredictions: run.exhaustionPredictions.map((p) => ({ madeAt: iso(p.madeMs), predictedAt: p.atMs === null ? null : iso(p.atMs) })),
    /** Every energy-sufficiency check (KPI.md): the correction's energy to the requested end against the assets' range. */
    energyChecks: run.energyChecks.map((c) => ({ at: iso(c.atMs), neededKwh: c.neededKwh, availableDownKwh: c.availableDownKwh, availableUpKwh: c.availableUpKwh })),
    accuracy: k?.accuracy ?? null,
    responsiveness: k?.responsiveness ?? null,
    availability: k?.availability ?? null,
    samples: k?.samples ?? null,
  };
}

export function kpiDocument(result: ReplayResult, appVersion: string) {
  const plant = result.plant;
  let throughputKwh = 0;
  for (const st of plant.storages) if (!st.household) throughputKwh += st.physics.chargedFromGridKwh + st.physics.dischargedToGridKwh;
  return {
    format: KPI_FORMAT,
    scenario: result.scenario.name,
    controller: result.controller,
    seed: result.scenario.seed,
    breakerPeriodS: result.scenario.measurement.breakerPeriodS,
    generator: { app: 'local-flex-controller', version: appVersion },
    simulatedS: result.simulatedS,
    bessThroughputKwh: round(throughputKwh, 3),
    runs: result.runs.map(runSummary),
    /** The 15-minute residual forecast's error over the replay (null without a forecasting planner). */
    forecast: result.forecast,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const num = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 1e4) / 1e4) : '');

/** `timeseries.csv` as one string; ~10 MB for a 14-hour scenario, which is fine to build in memory. */
export function timeseriesCsv(result: Pick<ReplayResult, 'breaker' | 'runs' | 'assetColumns'>): string {
  const b = result.breaker;
  // The engine's per-sample view (run, band, uncontrolled power, exhaustion, loop latency), by sample time.
  interface EngineView {
    runId: string;
    down: number;
    up: number;
    unc: number;
    exh: number;
    arrivalMs: number;
    accepted: boolean;
    latency: [number, number, number, number] | null;
  }
  const engineView = new Map<number, EngineView>();
  for (const run of result.runs) {
    const s = run.samples;
    for (let i = 0; i < s.sampleTimeMs.length; i++) {
      engineView.set(s.sampleTimeMs[i]!, {
        runId: run.runId,
        down: s.flexDownKw[i]!,
        up: s.flexUpKw[i]!,
        unc: s.uncontrolledKw[i]!,
        exh: s.inExhaustion[i]!,
        arrivalMs: s.arrivalTimeMs[i]!,
        accepted: Number.isFinite(s.measuredKw[i]!),
        latency: null,
      });
    }
    const l = run.latencyMs;
    run.latencySampleTimeMs.forEach((t, i) => {
      const ev = engineView.get(t);
      if (ev && ev.runId === run.runId) ev.latency = [l.sensorToEms[i]!, l.decision[i]!, l.emsToAck[i]!, l.total[i]!];
    });
  }
  const header = [
    'time',
    'runId',
    'sensorStatus',
    'arrivalDelayS',
    'acceptedByEms',
    'measuredBreakerKw',
    'targetBreakerKw',
    'trueBreakerKw',
    'flexDownKw',
    'flexUpKw',
    'uncontrolledKw',
    'inExhaustion',
    'loopSensorToEmsMs',
    'loopDecisionMs',
    'loopEmsToAckMs',
    'loopTotalMs',
    ...result.assetColumns.map((c) => c.name),
  ];
  const lines: string[] = [header.join(',')];
  const cols = result.assetColumns;
  for (let i = 0; i < b.sampleMs.length; i++) {
    const t = b.sampleMs[i]!;
    const ev = engineView.get(t);
    const cells: string[] = [
      iso(t),
      ev ? ev.runId : '',
      b.status[i]!,
      ev ? num((ev.arrivalMs - t) / 1000) : '',
      ev ? (ev.accepted ? '1' : '0') : '',
      num(b.sentKw[i]!),
      num(b.targetKw[i]!),
      num(b.trueKw[i]!),
      ev ? num(ev.down) : '',
      ev ? num(ev.up) : '',
      ev ? num(ev.unc) : '',
      ev ? String(ev.exh) : '',
      ...(ev?.latency ? ev.latency.map(num) : ['', '', '', '']),
    ];
    for (const c of cols) cells.push(num(c.values[i]!));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

export function eventsJsonl(events: EngineEvent[]): string {
  return events
    .map((e) =>
      JSON.stringify({
        time: iso(e.timeMs),
        type: e.type,
        level: e.level,
        ...(e.runId ? { runId: e.runId } : {}),
        ...(e.assetId ? { assetId: e.assetId } : {}),
        message: e.message,
        ...(e.data && Object.keys(e.data).length > 0 ? { data: e.data } : {}),
      }),
    )
    .join('\n')
    .concat(events.length > 0 ? '\n' : '');
}

const fmt = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined ? '—' : x.toFixed(digits));

/** A short, readable KPI summary for the terminal. */
export function summaryText(result: ReplayResult): string {
  const lines: string[] = [];
  lines.push(`${result.scenario.name} · controller ${result.controller} · ${(result.simulatedS / 3600).toFixed(1)} h simulated`);
  if (result.runs.length === 0) lines.push('  no run: the scenario has no trigger for use cases 1–4');
  for (const run of result.runs) {
    const k = run.kpis;
    const t = run.trigger;
    const what = t.useCase === 2 ? `hold ${t.targetKw} kW` : t.useCase === 1 ? 'island (0 kW)' : `use case ${t.useCase} packages`;
    lines.push(`  ${run.runId}  UC${t.useCase} ${what} ±${t.toleranceKw} kW  ${iso(run.startMs).slice(11, 16)}–${run.endMs ? iso(run.endMs).slice(11, 16) : '…'} UTC  end: ${run.endReason}`);
    if (!k) continue;
    lines.push(
      `    accuracy   MAE ${fmt(k.accuracy.maeKw, 2)} kW · RMSE ${fmt(k.accuracy.rmseKw, 2)} kW · max ${fmt(k.accuracy.maxAbsErrorKw, 1)} kW · within band ${fmt(k.accuracy.withinBandPct)} % · 15-min MAE ${fmt(k.accuracy.mae15MinKw, 2)} kW`,
    );
    lines.push(
      `    response   first setpoint ${fmt(k.responsiveness.firstSetpointS)} s · settled ${fmt(k.responsiveness.settlingS)} s · stale samples ${k.responsiveness.staleSamples}`,
    );
    lines.push(
      `    flexibility covered ${fmt(k.availability.coveredPct)} % · held ${fmt(k.availability.heldS / 60, 1)} min = ${fmt(k.availability.heldPctOfRequested)} % of requested`,
    );
  }
  const noticed = result.events.filter((e) => e.level !== 'info').length;
  lines.push(`  events: ${result.events.length} (${noticed} warnings or errors)`);
  return lines.join('\n');
}
