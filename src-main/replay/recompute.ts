/**
 * Recomputes every run's KPIs from the stored files alone — `timeseries.csv` and the run headers of
 * `kpi.json` (trigger times, the requested span and its basis, how the run ended, tolerance, the first
 * acknowledgement, the exhaustion forecast series and the energy checks) — with the same `computeRunKpis` the engine used. A trial report can therefore be checked
 * against the raw record; `test/integration/replay` does it for every bundled scenario.
 */
import type { RequestedBasis, RunKpis } from '../engine/kpi/index.js';
import type { EndReason } from '../engine/model.js';
import { computeRunKpis } from '../engine/kpi/index.js';

interface KpiRunHeader {
  runId: string;
  start: string;
  end: string | null;
  endReason: EndReason | null;
  requested: { startAt: string; endAt: string | null; basis: RequestedBasis | null };
  toleranceKw: number;
  firstSetpointAckAt: string | null;
  trigger: { receivedAt: string };
  exhaustionPredictions: Array<{ madeAt: string; predictedAt: string | null }>;
  energyChecks: Array<{ at: string; neededKwh: number; availableDownKwh: number; availableUpKwh: number }>;
}

export interface KpiDocumentLike {
  breakerPeriodS: number;
  runs: KpiRunHeader[];
}

const cell = (x: string | undefined): number => (x === undefined || x === '' ? NaN : Number(x));

export function recomputeKpis(timeseriesCsv: string, kpi: KpiDocumentLike): Map<string, RunKpis> {
  const lines = timeseriesCsv.trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`timeseries.csv has no column ${name}`);
    return i;
  };
  const c = {
    time: col('time'),
    runId: col('runId'),
    delay: col('arrivalDelayS'),
    accepted: col('acceptedByEms'),
    measured: col('measuredBreakerKw'),
    target: col('targetBreakerKw'),
    down: col('flexDownKw'),
    up: col('flexUpKw'),
    unc: col('uncontrolledKw'),
    sensorToEms: col('loopSensorToEmsMs'),
    decision: col('loopDecisionMs'),
    emsToAck: col('loopEmsToAckMs'),
    total: col('loopTotalMs'),
  };
  const byRun = new Map<string, string[][]>();
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const runId = cells[c.runId];
    if (!runId) continue;
    let rows = byRun.get(runId);
    if (!rows) byRun.set(runId, (rows = []));
    rows.push(cells);
  }
  const out = new Map<string, RunKpis>();
  for (const run of kpi.runs) {
    const rows = byRun.get(run.runId) ?? [];
    const f64 = (i: number): Float64Array => Float64Array.from(rows, (r) => cell(r[i]));
    const sampleTimeMs = Float64Array.from(rows, (r) => Date.parse(r[c.time]!));
    const endMs = run.end === null ? Date.parse(run.start) : Date.parse(run.end);
    const latency = (i: number): number[] => rows.map((r) => cell(r[i])).filter((x) => Number.isFinite(x));
    out.set(
      run.runId,
      computeRunKpis(
        {
          sampleTimeMs,
          arrivalTimeMs: Float64Array.from(rows, (r, k) => sampleTimeMs[k]! + cell(r[c.delay]) * 1000),
          // A sample the EMS rejected (NaN, stuck) counts as invalid, as it did in the run.
          measuredKw: Float64Array.from(rows, (r) => (r[c.accepted] === '1' ? cell(r[c.measured]) : NaN)),
          targetKw: f64(c.target),
          flexDownKw: f64(c.down),
          flexUpKw: f64(c.up),
          uncontrolledKw: f64(c.unc),
        },
        {
          triggerReceivedMs: Date.parse(run.trigger.receivedAt),
          startMs: Date.parse(run.start),
          endMs,
          endReason: run.endReason,
          // As the engine does: a request with no known end counts up to the run's end.
          requested: {
            startMs: Date.parse(run.requested.startAt),
            endMs: run.requested.endAt === null ? Math.max(endMs, Date.parse(run.requested.startAt)) : Date.parse(run.requested.endAt),
            basis: run.requested.basis,
          },
          toleranceKw: run.toleranceKw,
          breakerPeriodS: kpi.breakerPeriodS,
          firstSetpointAckMs: run.firstSetpointAckAt === null ? null : Date.parse(run.firstSetpointAckAt),
          exhaustionForecast: run.exhaustionPredictions.map((p) => ({ madeMs: Date.parse(p.madeAt), atMs: p.predictedAt === null ? null : Date.parse(p.predictedAt) })),
          energyChecks: run.energyChecks.map((e) => ({ atMs: Date.parse(e.at), neededKwh: e.neededKwh, availableDownKwh: e.availableDownKwh, availableUpKwh: e.availableUpKwh })),
          loopLatency: { sensorToEms: latency(c.sensorToEms), decision: latency(c.decision), emsToAck: latency(c.emsToAck), total: latency(c.total) },
        },
      ),
    );
  }
  return out;
}
