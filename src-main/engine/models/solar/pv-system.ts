/**
 * PV system models: cell temperature (SAPM, Faiman), PVWatts DC and the PVWatts inverter, and a composed
 * array-to-AC function. Ports of the pvlib-python functions named in each doc comment, for scalars.
 * Pure and allocation-free: the simulator calls these per simulated second for every orientation.
 */

/** Sandia Array Performance Model (SAPM) thermal parameters: T_module = E·exp(a + b·ws) + Ta; T_cell = T_module + E/1000·ΔT. */
export interface SapmTemperatureParams {
  /** Upper limit of module temperature at low wind, dimensionless (ln-space). */
  a: number;
  /** Rate of decrease of module temperature with wind speed, s/m. */
  b: number;
  /** Cell − module back-surface temperature difference at 1000 W/m², K. */
  deltaTC: number;
}

/** pvlib `TEMPERATURE_MODEL_PARAMETERS['sapm']['open_rack_glass_glass']`. */
export const SAPM_OPEN_RACK_GLASS_GLASS: Readonly<SapmTemperatureParams> = Object.freeze({ a: -3.47, b: -0.0594, deltaTC: 3 });
/** pvlib `TEMPERATURE_MODEL_PARAMETERS['sapm']['close_mount_glass_glass']`. */
export const SAPM_CLOSE_MOUNT_GLASS_GLASS: Readonly<SapmTemperatureParams> = Object.freeze({ a: -2.98, b: -0.0471, deltaTC: 1 });
/** pvlib `TEMPERATURE_MODEL_PARAMETERS['sapm']['open_rack_glass_polymer']`. */
export const SAPM_OPEN_RACK_GLASS_POLYMER: Readonly<SapmTemperatureParams> = Object.freeze({ a: -3.56, b: -0.075, deltaTC: 3 });
/** pvlib `TEMPERATURE_MODEL_PARAMETERS['sapm']['insulated_back_glass_polymer']`. */
export const SAPM_INSULATED_BACK_GLASS_POLYMER: Readonly<SapmTemperatureParams> = Object.freeze({ a: -2.81, b: -0.0455, deltaTC: 0 });

/**
 * SAPM cell temperature, °C (King et al. 2004, SAND2004-3535, eqs. 11–12), as
 * `pvlib.temperature.sapm_cell(poa_global, temp_air, wind_speed, a, b, deltaT, irrad_ref=1000)`.
 */
export function sapmCellTemperatureC(
  poaWm2: number,
  tempAirC: number,
  windMs: number,
  params: Readonly<SapmTemperatureParams> = SAPM_OPEN_RACK_GLASS_GLASS,
): number {
  const moduleC = poaWm2 * Math.exp(params.a + params.b * windMs) + tempAirC;
  return moduleC + (poaWm2 / 1000) * params.deltaTC;
}

/**
 * Faiman (2008) module temperature, °C, as `pvlib.temperature.faiman(poa_global, temp_air, wind_speed,
 * u0=25.0, u1=6.84)`: Ta + E / (u0 + u1·ws). u0 in W/(m²·K), u1 in W·s/(m³·K).
 */
export function faimanCellTemperatureC(poaWm2: number, tempAirC: number, windMs: number, u0 = 25.0, u1 = 6.84): number {
  return tempAirC + poaWm2 / (u0 + u1 * windMs);
}

/**
 * PVWatts DC power (Dobos 2014, NREL/TP-6A20-62641), in the unit of `pdc0W`, as
 * `pvlib.pvsystem.pvwatts_dc(effective_irradiance, temp_cell, pdc0, gamma_pdc, temp_ref=25)`:
 * P = pdc0 · E/1000 · (1 + γ·(T_cell − T_ref)). Irradiance ≤ 0 (or NaN) gives 0 rather than pvlib's
 * negative/NaN output, so night never draws power.
 */
export function pvwattsDcW(effectiveIrradianceWm2: number, cellTempC: number, pdc0W: number, gammaPdcPerK: number, tempRefC = 25): number {
  if (!(effectiveIrradianceWm2 > 0)) return 0;
  return (effectiveIrradianceWm2 * 0.001) * pdc0W * (1 + gammaPdcPerK * (cellTempC - tempRefC));
}

/**
 * PVWatts inverter (Dobos 2014, eq. in §"Inverter"), in the unit of `pdcW`, as
 * `pvlib.inverter.pvwatts(pdc, pdc0, eta_inv_nom=0.96, eta_inv_ref=0.9637)`.
 *
 * Here, as in pvlib, `pdc0W` is the inverter's DC input limit; the AC limit is pac0 = η_nom · pdc0, so
 * for an inverter with AC nameplate P_ac pass pdc0 = P_ac / η_nom. With ζ = pdc/pdc0:
 * η = η_nom/η_ref · (−0.0162ζ − 0.0059/ζ + 0.9858); P_ac = clip(η · pdc, 0, pac0).
 */
export function pvwattsInverterW(pdcW: number, pdc0W: number, etaInvNom = 0.96, etaInvRef = 0.9637): number {
  if (!(pdcW > 0) || !(pdc0W > 0)) return 0;
  const pac0 = etaInvNom * pdc0W;
  const zeta = pdcW / pdc0W;
  const eta = (etaInvNom / etaInvRef) * (-0.0162 * zeta - 0.0059 / zeta + 0.9858);
  const pac = eta * pdcW;
  // η < 0 below ζ ≈ 0.006 (pvlib GH 541): the inverter then delivers nothing rather than drawing power.
  if (pac > pac0) return pac0;
  return pac > 0 ? pac : 0;
}

/** Defaults of `pvArrayAcPowerKw`. */
export const PV_ARRAY_DEFAULTS = Object.freeze({
  /** PVWatts default temperature coefficient for standard modules, 1/K. */
  gammaPdcPerK: -0.0037,
  /**
   * DC/AC ratio (array kWp / inverter AC nameplate). 1.2 is NREL PVWatts' default (PVWatts v5/v8 manual,
   * "DC to AC Size Ratio") and typical of residential systems in central Europe.
   */
  dcAcRatio: 1.2,
  /** PVWatts nominal inverter efficiency (pvlib default). */
  etaInvNom: 0.96,
  /** PVWatts reference inverter efficiency (pvlib default). */
  etaInvRef: 0.9637,
});

/** A PV array of one orientation. */
export interface PvArray {
  /** DC nameplate at STC, kWp. */
  kwp: number;
  /** Tilt from horizontal, degrees (informational here: the caller computes POA for this orientation). */
  tiltDeg: number;
  /** Azimuth eastward from north, degrees (informational here, as `tiltDeg`). */
  azimuthDeg: number;
  /** PVWatts system losses (soiling, shading, mismatch, wiring, …), percent of DC. */
  lossesPct: number;
  /** Power temperature coefficient, 1/K. Default −0.0037. */
  gammaPdcPerK?: number;
  /** DC/AC ratio; the inverter AC nameplate is kwp / dcAcRatio. Default 1.2 (NREL PVWatts). */
  dcAcRatio?: number;
}

/**
 * AC output of a PV array, kW, as a POSITIVE generation number (the caller applies its sign convention).
 *
 * Chain: SAPM cell temperature (open rack, glass/glass) from POA, air temperature and wind →
 * PVWatts DC with POA as effective irradiance (no IAM or spectral correction) → × (1 − losses/100) →
 * PVWatts inverter sized with AC nameplate kwp/dcAcRatio, i.e. pdc0 = nameplate/η_nom as pvlib defines it.
 * Allocation-free. Returns 0 for POA ≤ 0 or any non-finite result.
 */
export function pvArrayAcPowerKw(array: Readonly<PvArray>, poaGlobalWm2: number, tempAirC: number, windMs: number): number {
  if (!(poaGlobalWm2 > 0) || !(array.kwp > 0)) return 0;
  const cellC = sapmCellTemperatureC(poaGlobalWm2, tempAirC, windMs, SAPM_OPEN_RACK_GLASS_GLASS);
  const dcKw =
    pvwattsDcW(poaGlobalWm2, cellC, array.kwp, array.gammaPdcPerK ?? PV_ARRAY_DEFAULTS.gammaPdcPerK) * (1 - array.lossesPct / 100);
  const acNameplateKw = array.kwp / (array.dcAcRatio ?? PV_ARRAY_DEFAULTS.dcAcRatio);
  const acKw = pvwattsInverterW(dcKw, acNameplateKw / PV_ARRAY_DEFAULTS.etaInvNom, PV_ARRAY_DEFAULTS.etaInvNom, PV_ARRAY_DEFAULTS.etaInvRef);
  return Number.isFinite(acKw) && acKw > 0 ? acKw : 0;
}
