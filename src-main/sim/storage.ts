/**
 * Battery physics shared by the community BESS and every household storage member, as `SCENARIOS.md`
 * defines it: the setpoint is clamped to ±powerKw and takes effect after `responseDelayS`; the actual power
 * follows it rate-limited by `rampKwPerS`; charging stores P·η·dt, discharging removes |P|/η·dt with
 * η = √roundTripEfficiency; at socMax it cannot charge and at socMin it cannot discharge.
 *
 * Power is in the load frame: positive = charging (drawn from the grid).
 */
export interface StorageParams {
  powerKw: number;
  energyKwh: number;
  socInitPct: number;
  socMinPct: number;
  socMaxPct: number;
  roundTripEfficiency: number;
  rampKwPerS: number;
  responseDelayS: number;
}

export class StoragePhysics {
  readonly params: StorageParams;
  readonly oneWayEfficiency: number;
  energyKwh: number;
  powerKw = 0;
  /** The setpoint the inverter is following now (after the response delay). */
  effectiveSetpointKw = 0;
  /** Throughput counters, for energy-balance checks and the battery-use KPI. */
  chargedFromGridKwh = 0;
  dischargedToGridKwh = 0;

  private pending: Array<{ effectiveMs: number; setpointKw: number }> = [];

  constructor(params: StorageParams) {
    this.params = params;
    this.oneWayEfficiency = Math.sqrt(params.roundTripEfficiency);
    this.energyKwh = (params.socInitPct / 100) * params.energyKwh;
  }

  get socPct(): number {
    return (this.energyKwh / this.params.energyKwh) * 100;
  }

  /** A new setpoint arrives at `nowMs`; it reaches the inverter after the response delay. */
  command(nowMs: number, setpointKw: number): void {
    const clamped = Math.max(-this.params.powerKw, Math.min(this.params.powerKw, setpointKw));
    this.pending.push({ effectiveMs: nowMs + this.params.responseDelayS * 1000, setpointKw: clamped });
  }

  /** Sets the followed setpoint directly, without delay (the device's own local control, e.g. self-consumption). */
  follow(setpointKw: number): void {
    this.pending.length = 0;
    this.effectiveSetpointKw = Math.max(-this.params.powerKw, Math.min(this.params.powerKw, setpointKw));
  }

  /** Advances the physics from `nowMs` by `dtS` seconds. */
  step(nowMs: number, dtS: number): void {
    while (this.pending.length > 0 && this.pending[0]!.effectiveMs <= nowMs) {
      this.effectiveSetpointKw = this.pending.shift()!.setpointKw;
    }
    const p = this.params;
    let target = this.effectiveSetpointKw;
    const maxKwh = (p.socMaxPct / 100) * p.energyKwh;
    const minKwh = (p.socMinPct / 100) * p.energyKwh;
    if (target > 0 && this.energyKwh >= maxKwh) target = 0;
    if (target < 0 && this.energyKwh <= minKwh) target = 0;

    const maxStepKw = p.rampKwPerS * dtS;
    let power = this.powerKw;
    if (target > power) power = Math.min(target, power + maxStepKw);
    else if (target < power) power = Math.max(target, power - maxStepKw);

    // Never cross a SOC limit inside a step: limit the power so the limit is met exactly.
    const dtH = dtS / 3600;
    const eta = this.oneWayEfficiency;
    if (power > 0) {
      const roomKwh = Math.max(0, maxKwh - this.energyKwh);
      power = Math.min(power, roomKwh / (eta * dtH));
      this.energyKwh += power * eta * dtH;
      this.chargedFromGridKwh += power * dtH;
    } else if (power < 0) {
      const availKwh = Math.max(0, this.energyKwh - minKwh);
      power = Math.max(power, (-availKwh * eta) / dtH);
      this.energyKwh += (power / eta) * dtH;
      this.dischargedToGridKwh += -power * dtH;
    }
    this.powerKw = power;
  }
}
