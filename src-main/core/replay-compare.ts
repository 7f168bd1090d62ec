/**
 * The Replay view's engine: one scenario replayed twice, by the product's controller (`lfc`) and by the
 * reference every other EMS uses (`deadbeat`), in lock step, so both can be drawn on the same charts and
 * compared in one KPI table. Each side is a real `ReplaySession` (scenario triggers and faults included),
 * so the figures equal `npm run replay` for the same file.
 *
 * Advanced in breaker periods: after each period the side records the breaker sample its engine received,
 * the target in force and the BESS power, which is all the view draws.
 */
import { ReplaySession } from '../replay/replay';
import type { ReplayInputs } from '../replay/replay';
import type { ReplaySide } from '../shared/ipc-contract';

const orNull = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

class Side {
  readonly session: ReplaySession;
  readonly data: ReplaySide;
  private lastSampleMs: number | null = null;
  private readonly bessId: string;

  constructor(inputs: ReplayInputs) {
    this.session = new ReplaySession(inputs);
    this.bessId = this.session.engine.config.bess.id;
    this.data = { controller: inputs.controller === 'deadbeat' ? 'deadbeat' : 'lfc', timeMs: [], measuredKw: [], targetKw: [], bessKw: [], runs: [] };
  }

  advance(steps: number): void {
    this.session.advance(steps);
    const snap = this.session.engine.snapshot();
    const t = snap.breaker.lastSampleMs;
    if (t === null || t === this.lastSampleMs) return;
    this.lastSampleMs = t;
    this.data.timeMs.push(t);
    this.data.measuredKw.push(orNull(snap.breaker.lastPowerKw));
    this.data.targetKw.push(orNull(this.session.engine.targetKwAt(t)));
    this.data.bessKw.push(orNull(this.session.plant.read(this.bessId)?.powerKw));
  }

  refreshRuns(): void {
    this.data.runs = this.session.engine.runs.map((r) => ({
      runId: r.runId,
      useCase: r.trigger.useCase,
      startMs: r.startMs,
      endMs: r.endMs,
      endReason: r.endReason,
      kpis: r.kpis as unknown as Record<string, unknown> | null,
    }));
  }
}

export class ReplayComparison {
  private readonly sides: Side[];
  /** Plant steps per breaker period: the grain at which both sides advance and record. */
  readonly chunkSteps: number;
  readonly stepMs: number;

  constructor(inputs: Omit<ReplayInputs, 'controller'>) {
    this.sides = [new Side({ ...inputs, controller: 'lfc' }), new Side({ ...inputs, controller: 'deadbeat' })];
    const s = inputs.scenario;
    this.stepMs = s.stepS * 1000;
    this.chunkSteps = Math.max(1, Math.round(s.measurement.breakerPeriodS / s.stepS));
  }

  get done(): boolean {
    return this.sides.every((s) => s.session.done);
  }

  get progress(): number {
    return this.sides[0]!.session.progress;
  }

  get nowMs(): number {
    return this.sides[0]!.session.nowMs;
  }

  /** Advances both sides by about `steps` plant steps, in whole breaker periods. */
  advance(steps: number): void {
    const chunks = Math.max(1, Math.round(steps / this.chunkSteps));
    for (let i = 0; i < chunks && !this.done; i++) for (const side of this.sides) side.advance(this.chunkSteps);
    if (this.done) for (const side of this.sides) side.session.finish();
    for (const side of this.sides) side.refreshRuns();
  }

  data(): ReplaySide[] {
    return this.sides.map((s) => s.data);
  }
}
