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
 * The average electrical power a heat pump can hold over the horizon, from the house's heat balance: on
 * average it may run so much more than the losses need that the house ends at most at its comfort maximum
 * (up), and must run at least so much that it ends at least at its minimum (down). Losses are taken at the
 * current indoor temperature, which errs on the safe side both ways (they grow as the house warms and shrink
 * as it cools).
 *
 * Fix (was: up = P·min(1, onHoldS/H), down = P·max(0, 1 − offHoldS/H)): that treated "hold" as staying on
 * (or off) continuously, so for horizons longer than the time to the band edge the up band fell below what
 * cycling at the edge needs and the down band claimed the pump must run almost all the time — the band
 * inverted (down > up) for the bundled heat pumps over a 3-hour run.
 */
export function heatPumpBand(h: HeatPumpParamsForBand, indoorC: number, outdoorC: number, horizonS: number): Band {
  const horizonH = Math.max(horizonS, 1) / 3600;
  const lossKw = h.lossKwPerK * (indoorC - outdoorC);
  // Heat (kWh) the house can still take before its maximum, and may still lose before its minimum.
  const roomKwh = h.capacityKwhPerK * Math.max(0, h.indoorMaxC - indoorC);
  const spareKwh = h.capacityKwhPerK * Math.max(0, indoorC - h.indoorMinC);
  const clamp = (kw: number): number => Math.min(h.powerKw, Math.max(0, kw));
  return {
    upKw: clamp((lossKw + roomKwh / horizonH) / h.cop),
    downKw: clamp((lossKw - spareKwh / horizonH) / h.cop),
  };
}
