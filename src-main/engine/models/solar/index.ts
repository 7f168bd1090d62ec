/** PV physics model: solar position, irradiance transposition and PV system output. Pure functions. */
export { solarPositionSpa, solarPositionFast } from './solar-position';
export type { SolarPosition, SpaInput } from './solar-position';
export {
  SOLAR_CONSTANT_WM2,
  extraterrestrialDniWm2,
  airMassRelative,
  haurwitzClearSkyGhiWm2,
  aoiCos,
  isotropicSkyDiffuseWm2,
  perezSkyDiffuseWm2,
  groundDiffuseWm2,
  poaIrradiance,
  erbsDecomposition,
} from './irradiance';
export type { PoaInput, PoaIrradiance, ErbsResult } from './irradiance';
export {
  SAPM_OPEN_RACK_GLASS_GLASS,
  SAPM_CLOSE_MOUNT_GLASS_GLASS,
  SAPM_OPEN_RACK_GLASS_POLYMER,
  SAPM_INSULATED_BACK_GLASS_POLYMER,
  PV_ARRAY_DEFAULTS,
  sapmCellTemperatureC,
  faimanCellTemperatureC,
  pvwattsDcW,
  pvwattsInverterW,
  pvArrayAcPowerKw,
} from './pv-system';
export type { SapmTemperatureParams, PvArray } from './pv-system';
