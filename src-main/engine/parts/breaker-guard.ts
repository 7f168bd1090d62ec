/**
 * The breaker guard: which breaker samples the EMS may act on, and what it does when none come.
 *
 * It owns the last sample and the last valid one, the stuck-value count and the once-per-episode flags of
 * every complaint (NaN, stuck, implausible, out of order, stamped in the future), and the two states a gap
 * leads to: stale (the last BESS setpoint is bridged for a while) and safe (everything released). It
 * decides and says so in the record; acting on its verdict (recording, releasing, ending a run) is the
 * engine's, so the guard needs nothing but the context.
 */
import type { BreakerSample } from '../model.js';
import type { EngineContext } from './types.js';
import { iso } from './types.js';

/** A breaker value beyond this many times the connection limit is not a measurement of it (a wrong scale). */
export const IMPLAUSIBLE_FACTOR = 2;
/** How far ahead of the EMS's clock a sample's time stamp may be (clock skew, a rig's pacing tick). */
export const FUTURE_SAMPLE_TOLERANCE_MS = 60_000;

/** A sample's verdict: not news (neither recorded nor acted on), recorded as a gap, or good. */
export type SampleVerdict = 'ignored' | 'invalid' | 'valid';

/** What a breaker gap asks of the engine at a watchdog tick. */
export type GapAction = 'none' | 'hold' | 'safe-state' | 'fault';

export class BreakerGuard {
  lastSample: BreakerSample | null = null;
  lastValidSampleMs: number;
  stale = false;
  safeState = false;
  private repeatCount = 0;
  private invalidEpisode = false;
  private stuckEpisode = false;
  private staleSinceMs = 0;
  private outOfOrderEpisode = false;
  private implausibleEpisode = false;

  constructor(private readonly ctx: EngineContext) {
    this.lastValidSampleMs = ctx.clock.nowMs();
  }

  /** Judges a sample as it arrives; a valid one also ends a stale or safe state (`breaker-restored`). */
  screen(sample: BreakerSample): SampleVerdict {
    const now = this.ctx.clock.nowMs();
    // A sample not newer than the last one (a platform that re-sends or reorders) is not news: it is neither
    // recorded (the run's series would run backwards) nor acted on.
    // A sample stamped in the future (a clock off by hours, local time read as UTC) would become the mark
    // every later sample must pass: it is refused instead.
    if (sample.sampleMs > now + FUTURE_SAMPLE_TOLERANCE_MS) {
      if (!this.implausibleEpisode) {
        this.implausibleEpisode = true;
        this.ctx.emit('breaker-implausible', 'warning', `breaker sample stamped ${iso(sample.sampleMs)}, ${Math.round((sample.sampleMs - now) / 1000)} s in the future: the meter's clock or time zone is wrong; ignored`, {
          sampleAt: iso(sample.sampleMs),
        });
      }
      return 'ignored';
    }
    const last = this.lastSample;
    if (last && sample.sampleMs <= last.sampleMs) {
      if (!this.outOfOrderEpisode) {
        this.outOfOrderEpisode = true;
        this.ctx.emit('breaker-out-of-order', 'warning', `breaker sample of ${iso(sample.sampleMs)} is not newer than the last one (${iso(last.sampleMs)}): out of order or repeated; ignored`, {
          sampleAt: iso(sample.sampleMs),
          lastAt: iso(last.sampleMs),
        });
      }
      return 'ignored';
    }
    this.outOfOrderEpisode = false;
    return this.accept(sample) ? 'valid' : 'invalid';
  }

  /** A valid sample was recorded: control may resume. */
  restore(sample: BreakerSample): void {
    this.lastValidSampleMs = sample.sampleMs;
    if (this.stale || this.safeState) {
      this.ctx.emit('breaker-restored', 'info', 'valid breaker samples again; control resumes', {
        gapS: this.stale ? (sample.sampleMs - this.staleSinceMs) / 1000 : 0,
      });
      this.stale = false;
      this.safeState = false;
    }
  }

  /** Validates a sample: NaN, implausible and stuck values are invalid (and logged once per episode). */
  private accept(sample: BreakerSample): boolean {
    const prev = this.lastSample;
    this.lastSample = sample;
    const config = this.ctx.config;
    if (!Number.isFinite(sample.powerKw)) {
      if (!this.invalidEpisode) {
        this.ctx.emit('breaker-invalid', 'warning', `breaker sample is not a number (${sample.powerKw}); ignored`, { sampleAt: iso(sample.sampleMs) });
        this.invalidEpisode = true;
      }
      this.repeatCount = 0;
      return false;
    }
    this.invalidEpisode = false;
    // Beyond what the connection can carry (with the margin of a short overload) the value is not the
    // breaker's: a wrong scale (10× after a meter's CT ratio change), a unit mix-up. Kept as a gap.
    const plausibleKw = IMPLAUSIBLE_FACTOR * config.connectionLimitKw;
    if (Math.abs(sample.powerKw) > plausibleKw) {
      if (!this.implausibleEpisode) {
        this.implausibleEpisode = true;
        this.ctx.emit('breaker-implausible', 'warning', `breaker value ${sample.powerKw.toFixed(1)} kW is beyond ${plausibleKw.toFixed(0)} kW (${IMPLAUSIBLE_FACTOR} × the ${config.connectionLimitKw} kW connection): a wrong scale or unit; ignored`, {
          sampleAt: iso(sample.sampleMs),
          powerKw: sample.powerKw,
        });
      }
      this.repeatCount = 0;
      return false;
    }
    this.implausibleEpisode = false;
    if (prev && prev.powerKw === sample.powerKw) this.repeatCount++;
    else this.repeatCount = 0;
    if (this.repeatCount >= this.ctx.safety.stuckSamples - 1) {
      if (!this.stuckEpisode) {
        this.ctx.emit('breaker-stuck', 'warning', `breaker value ${sample.powerKw} kW repeated ${this.repeatCount + 1} times exactly: sensor stuck; ignored`, {
          sampleAt: iso(sample.sampleMs),
        });
        this.stuckEpisode = true;
      }
      return false;
    }
    if (this.stuckEpisode && this.repeatCount === 0) this.stuckEpisode = false;
    return true;
  }

  /**
   * At a watchdog tick: how old the last valid sample is, and what that asks for. `running`: a run is in
   * force; `preparing`: an announced one is being prepared for (its setpoints need bridging too).
   */
  checkFreshness(now: number, running: boolean, preparing: boolean): GapAction {
    const ageS = (now - this.lastValidSampleMs) / 1000;
    const s = this.ctx.safety;
    if (ageS > s.staleAfterS && !this.stale) {
      this.stale = true;
      this.staleSinceMs = this.lastValidSampleMs;
      this.ctx.emit('breaker-stale', 'warning', `no valid breaker sample for ${ageS.toFixed(0)} s; holding the last BESS setpoint for at most ${s.holdLastS} s`, {
        lastValidAt: iso(this.lastValidSampleMs),
      });
    }
    if (!this.stale || (!running && !preparing)) return 'none';
    if (running && ageS > s.faultStopAfterS) {
      this.ctx.emit('safe-state', 'error', `no valid breaker data for ${ageS.toFixed(0)} s: the run stops`, {});
      return 'fault';
    }
    // Bridge a short gap, on the record: renew the last setpoint.
    if (ageS <= s.staleAfterS + s.holdLastS) return 'hold';
    if (!this.safeState) {
      this.safeState = true;
      this.ctx.emit('safe-state', 'warning', 'breaker data stale beyond the hold time: BESS to 0 kW, households and heat pumps released', {});
      return 'safe-state';
    }
    return 'none';
  }

  /** Whether the EMS may act now (not stale, not in its safe state). */
  get controlling(): boolean {
    return !this.safeState && !this.stale;
  }
}
