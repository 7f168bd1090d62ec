/**
 * One heat pump and the house it heats, as `SCENARIOS.md` defines it: on/off at `powerKw` electrical;
 * C·dT/dt = cop·P_on − lossKwPerK·(T_in − T_out). Its own thermostat keeps the indoor temperature inside
 * [indoorMinC, indoorMaxC]; a dispatch may move its on/off inside that band, never outside it, and never
 * against the minimum on and off times.
 *
 * The default thermostat switches on below `setpointC − hysteresisK` and off above `setpointC + hysteresisK`
 * (a two-point controller, as most heat-pump controllers are). A dispatched state is followed until it
 * expires, except that the device itself refuses to leave the comfort band: at indoorMinC it switches on and
 * at indoorMaxC off, whatever it was told, and it refuses a dispatched switch it could not hold for its minimum
 * on/off time inside the band. Min on/off times hold for every switch, its own or dispatched.
 */
export interface HeatPumpParams {
  powerKw: number;
  cop: number;
  capacityKwhPerK: number;
  lossKwPerK: number;
  indoorInitC: number;
  indoorMinC: number;
  indoorMaxC: number;
  setpointC: number;
  minOnS: number;
  minOffS: number;
}

export const THERMOSTAT_HYSTERESIS_K = 0.5;

export class HeatPumpPhysics {
  readonly params: HeatPumpParams;
  indoorC: number;
  on = false;
  lastSwitchMs: number;
  /** Dispatched state (true = on, false = off) and its expiry; null = own thermostat. */
  dispatchedOn: boolean | null = null;
  dispatchExpiresMs = 0;
  minIndoorSeenC: number;
  maxIndoorSeenC: number;

  constructor(params: HeatPumpParams, startMs: number) {
    this.params = params;
    this.indoorC = params.indoorInitC;
    // Start as if the last switch was long ago, so min on/off times do not block the first decision.
    this.lastSwitchMs = startMs - Math.max(params.minOnS, params.minOffS) * 1000;
    this.on = params.indoorInitC < params.setpointC - THERMOSTAT_HYSTERESIS_K;
    this.minIndoorSeenC = this.indoorC;
    this.maxIndoorSeenC = this.indoorC;
  }

  get powerKw(): number {
    return this.on ? this.params.powerKw : 0;
  }

  dispatch(on: boolean | null, expiresMs: number): void {
    this.dispatchedOn = on;
    this.dispatchExpiresMs = expiresMs;
  }

  /** Decides on/off at `nowMs`, then integrates the thermal model over `dtS` with outdoor temperature `outdoorC`. */
  step(nowMs: number, dtS: number, outdoorC: number): void {
    const p = this.params;
    if (this.dispatchedOn !== null && nowMs >= this.dispatchExpiresMs) this.dispatchedOn = null;

    let wantOn: boolean;
    if (this.dispatchedOn !== null) {
      wantOn = this.dispatchedOn;
      // The device refuses a dispatched switch whose new state, held for its minimum time, would leave the
      // comfort band: the min on/off time would otherwise block the band-edge override below and keep the
      // house outside the band (e.g. dispatched on at 22.4 °C with a 10-minute minimum on time).
      if (wantOn !== this.on) {
        const holdS = wantOn ? p.minOnS : p.minOffS;
        const endC = this.indoorAfterC(wantOn, holdS, outdoorC);
        if (wantOn ? endC > p.indoorMaxC : endC < p.indoorMinC) wantOn = this.on;
      }
    } else if (this.indoorC < p.setpointC - THERMOSTAT_HYSTERESIS_K) wantOn = true;
    else if (this.indoorC > p.setpointC + THERMOSTAT_HYSTERESIS_K) wantOn = false;
    else wantOn = this.on;
    // The comfort band overrides everything the device was told.
    if (this.indoorC <= p.indoorMinC) wantOn = true;
    if (this.indoorC >= p.indoorMaxC) wantOn = false;

    if (wantOn !== this.on) {
      const sinceSwitchS = (nowMs - this.lastSwitchMs) / 1000;
      const minS = this.on ? p.minOnS : p.minOffS;
      if (sinceSwitchS >= minS) {
        this.on = wantOn;
        this.lastSwitchMs = nowMs;
      }
    }

    const heatKw = this.on ? p.cop * p.powerKw : 0;
    const dTdtKPerS = (heatKw - p.lossKwPerK * (this.indoorC - outdoorC)) / (p.capacityKwhPerK * 3600);
    this.indoorC += dTdtKPerS * dtS;
    if (this.indoorC < this.minIndoorSeenC) this.minIndoorSeenC = this.indoorC;
    if (this.indoorC > this.maxIndoorSeenC) this.maxIndoorSeenC = this.indoorC;
  }

  /** Indoor temperature after `durationS` in state `on` at a constant outdoor temperature (closed form). */
  private indoorAfterC(on: boolean, durationS: number, outdoorC: number): number {
    const p = this.params;
    const equilibriumC = outdoorC + (on ? p.cop * p.powerKw : 0) / p.lossKwPerK;
    return equilibriumC + (this.indoorC - equilibriumC) * Math.exp((-p.lossKwPerK * durationS) / (p.capacityKwhPerK * 3600));
  }
}
