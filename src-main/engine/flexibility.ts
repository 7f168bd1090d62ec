/**
 * Flexibility bands (UC2-K01, step 9 of the use case): for each controllable asset the range of power
 * `[F⁻, F⁺]` it can deliver now AND hold, on average, for the rest of the run, from what the EMS knows of
 * its state (state of charge, comfort band, power limits). Summed over assets, it is the community's band.
 *
 * Load frame: F⁺ is the most power the assets can draw (charge, consume), F⁻ the least (negative =
 * feed-in). An asset the EMS cannot currently reach (offline, rejecting writes) contributes nothing
 * controllable: its band collapses to its last known power.
 */

export interface Band {
  downKw: number;
  upKw: number;
}

/** Average power a storage can hold over `horizonS`, bounded by its power rating. */
export function storageBand(
  powerRatingKw: number,
  energyKwh: number,
  socPct: number,
  socMinPct: number,
  socMaxPct: number,
  roundTripEfficiency: number,
  horizonS: number,
): Band {
  const eta = Math.sqrt(roundTripEfficiency);
  const horizonH = Math.max(horizonS, 1) / 3600;
  const roomKwh = Math.max(0, ((socMaxPct - socPct) / 100) * energyKwh);
  const availKwh = Math.max(0, ((socPct - socMinPct) / 100) * energyKwh);
  return {
    upKw: Math.min(powerRatingKw, roomKwh / eta / horizonH),
    downKw: -Math.min(powerRatingKw, (availKwh * eta) / horizonH),
  };
}

export interface HeatPumpParamsForBand {
  powerKw: number;
  cop: number;
  capacityKwhPerK: number;
  lossKwPerK: number;
  indoorMinC: number;
  indoorMaxC: number;
}

/**
 * A heat pump can stay on until the house reaches its comfort maximum and off until it reaches the minimum.
 * Over a horizon, the average power it can hold is the rated power times the share of the horizon it can
 * run (up) or must run (down).
 */
export function heatPumpBand(h: HeatPumpParamsForBand, indoorC: number, outdoorC: number, horizonS: number): Band {
  const horizon = Math.max(horizonS, 1);
  const lossKw = h.lossKwPerK * (indoorC - outdoorC);
  const heatKw = h.cop * h.powerKw;
  // Time (s) the pump can stay on before reaching the maximum; Infinity if it never gets there.
  const riseKPerS = (heatKw - lossKw) / (h.capacityKwhPerK * 3600);
  const onHoldS = riseKPerS > 0 ? Math.max(0, h.indoorMaxC - indoorC) / riseKPerS : Infinity;
  // Time (s) the pump can stay off before the house cools to the minimum.
  const fallKPerS = lossKw / (h.capacityKwhPerK * 3600);
  const offHoldS = fallKPerS > 0 ? Math.max(0, indoorC - h.indoorMinC) / fallKPerS : Infinity;
  // Over the horizon, the pump must at least replace the heat lost below the minimum temperature.
  return {
    upKw: h.powerKw * Math.min(1, onHoldS / horizon),
    downKw: h.powerKw * Math.max(0, 1 - offHoldS / horizon),
  };
}
