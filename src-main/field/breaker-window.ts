/**
 * The breaker samples the field EMS keeps in memory for `timeseries.csv`: the newest
 * {@link MAX_KEPT_SAMPLES} (about 11.5 days at a 10 s breaker period, ~4 MB), so a field EMS that runs for
 * months does not grow by every sample it ever took. The record keeps every sample. The samples of the run
 * in force are never let go (its rows go into the files with its KPIs when it ends, and the KPIs recompute
 * from them); older ones leave in chunks of a tenth. The output files then cover the runs that ended inside
 * the window (`keeps`).
 */
export const MAX_KEPT_SAMPLES = 100_000;

export class BreakerWindow {
  /** Sample times, ms, oldest first; the other arrays are parallel. */
  readonly sampleMs: number[] = [];
  readonly powerKw: number[] = [];
  /** The target in force at each sample (NaN: none). */
  readonly targetKw: number[] = [];
  /** The run each sample counted for (null: none). */
  readonly runId: Array<string | null> = [];
  /** Samples that left the window (the oldest). */
  dropped = 0;

  constructor(private readonly limit = MAX_KEPT_SAMPLES) {}

  /** Keeps a sample; `activeRunId` is the run in force, whose samples stay whatever the limit. */
  push(sampleMs: number, powerKw: number, targetKw: number, runId: string | null, activeRunId: string | null): void {
    this.sampleMs.push(sampleMs);
    this.powerKw.push(powerKw);
    this.targetKw.push(targetKw);
    this.runId.push(runId);
    if (this.sampleMs.length <= this.limit) return;
    let n = this.sampleMs.length - this.limit + Math.floor(this.limit / 10);
    const firstOfActive = activeRunId === null ? -1 : this.runId.indexOf(activeRunId);
    if (firstOfActive >= 0) n = Math.min(n, firstOfActive);
    if (n <= 0) return;
    for (const a of [this.sampleMs, this.powerKw, this.targetKw, this.runId]) a.splice(0, n);
    this.dropped += n;
  }

  /** Whether a run ending at `endMs` has its rows in the window (every run does until a sample has left it). */
  keeps(endMs: number): boolean {
    return this.dropped === 0 || (this.sampleMs.length > 0 && endMs >= this.sampleMs[0]!);
  }
}
