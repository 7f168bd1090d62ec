/**
 * I-05 breaker measurements as the sensor sends them: voltage U (line-to-neutral RMS, V), current I (RMS, A)
 * and phase angle φ (degrees) of each of the three phases, turned into active and reactive power.
 *
 * Sign convention of φ (load frame, the consumer reference-arrow system): φ is the angle by which the
 * current lags the voltage, measured with the current arrow pointing INTO the community. Then
 *   P = Σ U·I·cos φ  (positive = import from the grid, the code base's one convention),
 *   Q = Σ U·I·sin φ  (positive = the community draws inductive reactive power).
 * Pure export at unity power factor is φ = 180°; export with inductive draw lies in (90°, 180°).
 */
export interface PhaseMeasurement {
  voltageV: number;
  currentA: number;
  phiDeg: number;
}

const RAD = Math.PI / 180;

/** Σ U·I·cos φ in kW; NaN if any value is missing or not finite (an invalid sample stays invalid). */
export function activePowerKw(phases: readonly PhaseMeasurement[]): number {
  let w = 0;
  for (const p of phases) w += p.voltageV * p.currentA * Math.cos(p.phiDeg * RAD);
  return phases.length === 3 ? w / 1000 : NaN;
}

/** Σ U·I·sin φ in kvar. */
export function reactivePowerKvar(phases: readonly PhaseMeasurement[]): number {
  let v = 0;
  for (const p of phases) v += p.voltageV * p.currentA * Math.sin(p.phiDeg * RAD);
  return phases.length === 3 ? v / 1000 : NaN;
}

/**
 * The inverse, for the lab's simulated sensor: three phases that carry `pKw` and `qKvar`, split by the
 * given shares (summing to 1) so the phases are realistically unbalanced.
 */
export function phasesFor(pKw: number, qKvar: number, voltagesV: readonly [number, number, number], shares: readonly [number, number, number] = [1 / 3, 1 / 3, 1 / 3]): PhaseMeasurement[] {
  return voltagesV.map((u, k) => {
    const p = pKw * 1000 * shares[k]!;
    const q = qKvar * 1000 * shares[k]!;
    const s = Math.hypot(p, q);
    return { voltageV: u, currentA: s / u, phiDeg: s === 0 ? 0 : Math.atan2(q, p) / RAD };
  });
}
