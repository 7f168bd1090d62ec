/**
 * What the 15-minute optimiser is told each slot, and what it answers. Powers in kW in the load frame
 * (positive = drawn from the grid), energies in kWh, times in UTC ms.
 */

/** One storage (the BESS, or one household-storage member) as the EMS knows it now. */
export interface StorageUnitState {
  id: string;
  powerRatingKw: number;
  energyKwh: number;
  socPct: number;
  socMinPct: number;
  socMaxPct: number;
  roundTripEfficiency: number;
  /** Power now (measured or last commanded). Used only for an unavailable unit, which is held at it. */
  powerKw: number;
  /** False when offline or rejecting writes: the unit is not dispatched and counts as a fixed load at `powerKw`. */
  available: boolean;
}

/** Similar storages modelled as one fleet (one `householdStorage` asset). */
export interface StorageFleetInput {
  id: string;
  members: StorageUnitState[];
}

/** One heat pump and its house. */
export interface HeatPumpUnitState {
  id: string;
  /** Electrical power when on, kW. */
  powerKw: number;
  cop: number;
  capacityKwhPerK: number;
  lossKwPerK: number;
  indoorC: number;
  indoorMinC: number;
  indoorMaxC: number;
  on: boolean;
  /** Time since its last on/off switch, ms (for min on/off times). */
  msSinceSwitch: number;
  minOnS: number;
  minOffS: number;
  /** False when offline or rejecting writes: it keeps its current state as a fixed load. */
  available: boolean;
}

/** Similar heat pumps modelled as one fleet (one `heatPump` asset). */
export interface HeatPumpFleetInput {
  id: string;
  members: HeatPumpUnitState[];
}

/** Objective weights, cost per kWh (per kW held for one hour). */
export interface ObjectiveWeights {
  /** Breaker deviation outside the tolerance band. */
  outOfBand: number;
  /** Breaker deviation inside the band (small: the band is room to save energy when flexibility is short). */
  inBand: number;
  /** BESS power used beyond its limit minus the fast-error reserve. */
  reserve: number;
  /** Curtailed PV energy (a last resort). */
  curtailment: number;
  /** Storage throughput (charge + discharge energy), a tie-breaker against needless cycling. */
  throughput: number;
  /** Heat-pump electrical energy, a tie-breaker against needless heating. */
  heatPumpEnergy: number;
  /** Terminal storage energy away from the balanced SOC (either way). */
  terminalSoc: number;
  /** Terminal heat shortfall of a heat-pump fleet below where it started (kWh thermal). */
  terminalHeat: number;
  /** Aggregate indoor temperature outside the comfort band (kWh thermal). */
  comfort: number;
  /** Breaker power beyond the connection limit. */
  connection: number;
}

export const DEFAULT_WEIGHTS: Readonly<ObjectiveWeights> = Object.freeze({
  outOfBand: 1000,
  inBand: 1,
  reserve: 50,
  curtailment: 200,
  throughput: 0.01,
  heatPumpEnergy: 0.001,
  terminalSoc: 0.2,
  terminalHeat: 0.5,
  comfort: 5000,
  connection: 5000,
});

export interface DispatchProblem {
  /** Start of slot 0 on the slot grid, UTC ms (now, unless `firstSlotS` makes slot 0 the rest of a slot). */
  startMs: number;
  /** Slot length, s (900 for the 15-minute optimiser; 60 for a 1-minute oracle). */
  stepS: number;
  /**
   * Length of slot 0, s (0 < firstSlotS ≤ stepS; default stepS). A plan made part-way through a slot covers
   * only what is left of it in slot 0, which ends at `startMs + stepS` like any grid slot: treating that
   * remainder as a whole slot would understate what the storages and heat pumps can do before the next
   * boundary (a heat pump that may run 5 minutes before its house is warm enough may not run 15).
   */
  firstSlotS?: number;
  /**
   * Forecast uncontrolled power per slot, kW: loads plus PV (PV ≤ 0, the curtailable PV uncurtailed), i.e.
   * the residual P_unc = P_B − Σ controllable. Its length is the number of slots. Must be finite: fill forecast
   * gaps before calling (the optimiser refuses NaN rather than read it as 0).
   */
  residualKw: ArrayLike<number>;
  /** Forecast curtailable PV per slot, kW (≤ 0); absent = nothing curtailable. */
  curtailablePvKw?: ArrayLike<number>;
  /** Forecast outdoor temperature per slot (mean), °C; needed when there are heat pumps. */
  outdoorC: ArrayLike<number>;
  /**
   * Breaker target per slot, kW; NaN = no use case in force in that slot (then only the connection limit
   * binds: before an announced start this is where the optimiser prepares).
   */
  targetKw: ArrayLike<number>;
  /** Tolerance per slot, kW (±). */
  toleranceKw: ArrayLike<number>;
  bess: StorageUnitState | null;
  /** BESS power kept free for the fast loop, kW (e.g. 3 σ of the recent residual error). Soft. */
  bessReserveKw: number;
  households: StorageFleetInput[];
  heatPumps: HeatPumpFleetInput[];
  connectionLimitKw: number;
  weights?: Partial<ObjectiveWeights>;
  /** SOC the storages should end at, as a fraction of their usable range; default 0.5 (lasts longest either way). */
  terminalSocFraction?: number;
  /** Margin kept inside each comfort band by the fleet model, K. Default 0.1. */
  comfortMarginK?: number;
  /** A deviation beyond the band above this counts as exhaustion, kW. Default 0.5. */
  exhaustionThresholdKw?: number;
}

export interface StorageFleetPlan {
  id: string;
  /** Fleet power per slot, kW. */
  powerKw: Float64Array;
  /** Fleet energy at each slot boundary (slots + 1 values), kWh. */
  energyKwh: Float64Array;
  /** Per member: power per slot, kW. */
  memberKw: Map<string, Float64Array>;
  /** Per member: SOC at each slot boundary (slots + 1), %. */
  memberSocPct: Map<string, Float64Array>;
}

export interface HeatPumpFleetPlan {
  id: string;
  /** Fleet power per slot from the LP (continuous), kW. */
  powerKw: Float64Array;
  /** Mean indoor temperature of the fleet at each slot boundary, °C (LP model). */
  meanIndoorC: Float64Array;
  /** Per member: on (1) or off (0) per slot, after disaggregation. */
  memberOn: Map<string, Uint8Array>;
  /** Per member: predicted indoor temperature at each slot boundary (slots + 1), °C. */
  memberIndoorC: Map<string, Float64Array>;
  /** Per member: whether the slot's state is a switch the dispatch commands (1) or a continuation (0). */
  memberSwitch: Map<string, Uint8Array>;
}

export interface ObjectiveTerms {
  total: number;
  outOfBand: number;
  inBand: number;
  reserve: number;
  curtailment: number;
  throughput: number;
  heatPumpEnergy: number;
  terminalSoc: number;
  terminalHeat: number;
  comfort: number;
  connection: number;
}

export interface DispatchPlan {
  status: 'optimal' | 'failed';
  /** Why it failed, for the log. */
  message?: string;
  startMs: number;
  stepS: number;
  slots: number;
  /** Forecast breaker power per slot with the plan, kW. */
  breakerKw: Float64Array;
  /** Breaker minus target per slot (NaN where there is no target), kW. */
  deviationKw: Float64Array;
  /** Deviation beyond the tolerance band (≥ 0), kW. */
  outOfBandKw: Float64Array;
  /** BESS feed-forward power per slot, kW. */
  bessKw: Float64Array;
  /** BESS energy at each slot boundary (slots + 1), kWh; empty without a BESS. */
  bessEnergyKwh: Float64Array;
  households: StorageFleetPlan[];
  heatPumps: HeatPumpFleetPlan[];
  /** PV curtailment per slot (≥ 0: how much less is fed in), kW. */
  curtailmentKw: Float64Array;
  /** Start of the first slot whose target cannot be held (deviation beyond the band), or null. */
  predictedExhaustionAtMs: number | null;
  objective: ObjectiveTerms;
  /** Solve time as the solver's host measured it (sum over re-solves), ms; null if unknown. */
  solveTimeMs: number | null;
  lpSize: { variables: number; constraints: number };
  /** Number of LP solves (2 when storage directions had to be fixed and the LP re-solved). */
  solves: number;
}
