/**
 * Irradiance models: extraterrestrial irradiance, air mass, clear sky, plane-of-array transposition
 * (isotropic and Perez 1990) and GHI decomposition (Erbs). Ports of the pvlib-python functions named
 * in each doc comment, for scalars. Pure, no I/O.
 *
 * Convention: whenever the sun is at or below the horizon (zenith ≥ 90°) or an input is not a finite
 * number, irradiances come back as 0, never NaN and never negative, so that a simulator can sum them
 * blindly.
 */

const DEG = Math.PI / 180;

/** Solar constant used by pvlib's `get_extra_radiation` default, W/m². */
export const SOLAR_CONSTANT_WM2 = 1366.1;

/** Non-finite or negative irradiance → 0. */
function cleanWm2(x: number): number {
  return x > 0 && Number.isFinite(x) ? x : 0;
}

/**
 * Extraterrestrial normal irradiance (Spencer 1971 Fourier series for the Earth–Sun distance), W/m²,
 * as `pvlib.irradiance.get_extra_radiation(doy, method='spencer', solar_constant=1366.1)`.
 * `dayOfYear` is 1..366 (fractional allowed).
 */
export function extraterrestrialDniWm2(dayOfYear: number): number {
  const b = ((2 * Math.PI) / 365) * (dayOfYear - 1);
  const rOverR0Sq =
    1.00011 + 0.034221 * Math.cos(b) + 0.00128 * Math.sin(b) + 0.000719 * Math.cos(2 * b) + 0.000077 * Math.sin(2 * b);
  return SOLAR_CONSTANT_WM2 * rOverR0Sq;
}

/**
 * Relative (not pressure-corrected) optical air mass, Kasten & Young 1989, as
 * `pvlib.atmosphere.get_relative_airmass(zenith, model='kastenyoung1989')`.
 * pvlib returns NaN for zenith > 90°; here the zenith is clamped to 90° (air mass ≈ 37.9) so that no
 * NaN can leak into a simulation. Callers treat the sun below the horizon separately anyway.
 */
export function airMassRelative(zenithDeg: number): number {
  const z = zenithDeg > 90 ? 90 : zenithDeg < 0 ? 0 : zenithDeg;
  return 1 / (Math.cos(DEG * z) + 0.50572 * Math.pow(6.07995 + (90 - z), -1.6364));
}

/**
 * Haurwitz (1945) clear-sky GHI, W/m², as `pvlib.clearsky.haurwitz(apparent_zenith)`:
 * GHI = 1098 · cos z · exp(−0.059 / cos z), 0 when cos z ≤ 0.
 */
export function haurwitzClearSkyGhiWm2(apparentZenithDeg: number): number {
  const cosZ = Math.cos(DEG * apparentZenithDeg);
  if (!(cosZ > 0)) return 0;
  return 1098.0 * cosZ * Math.exp(-0.059 / cosZ);
}

/**
 * Cosine of the angle of incidence of beam irradiance on a surface (dot product of the surface normal
 * and the sun vector), clipped to [−1, 1], as `pvlib.irradiance.aoi_projection`.
 * Azimuths eastward from north; tilt 0 = horizontal.
 */
export function aoiCos(surfaceTiltDeg: number, surfaceAzimuthDeg: number, solarZenithDeg: number, solarAzimuthDeg: number): number {
  const tilt = DEG * surfaceTiltDeg;
  const zen = DEG * solarZenithDeg;
  const projection =
    Math.cos(tilt) * Math.cos(zen) + Math.sin(tilt) * Math.sin(zen) * Math.cos(DEG * (solarAzimuthDeg - surfaceAzimuthDeg));
  if (projection > 1) return 1;
  if (projection < -1) return -1;
  return projection;
}

/**
 * Isotropic sky diffuse on a tilted plane (Liu & Jordan / Hottel & Woertz), W/m², as
 * `pvlib.irradiance.isotropic`: DHI · (1 + cos tilt) / 2.
 */
export function isotropicSkyDiffuseWm2(surfaceTiltDeg: number, dhiWm2: number): number {
  return cleanWm2(dhiWm2) * (1 + Math.cos(DEG * surfaceTiltDeg)) * 0.5;
}

/**
 * Perez 1990 'allsitescomposite1990' coefficients, one row per sky-clearness bin 1..8:
 * [F11, F12, F13, F21, F22, F23] (pvlib `_get_perez_coefficients`).
 */
const PEREZ_ALLSITES_1990 = new Float64Array([
  -0.008, 0.588, -0.062, -0.06, 0.072, -0.022,
  0.13, 0.683, -0.151, -0.019, 0.066, -0.029,
  0.33, 0.487, -0.221, 0.055, -0.064, -0.026,
  0.568, 0.187, -0.295, 0.109, -0.152, -0.014,
  0.873, -0.392, -0.362, 0.226, -0.462, 0.001,
  1.132, -1.237, -0.412, 0.288, -0.823, 0.056,
  1.06, -1.6, -0.359, 0.264, -1.127, 0.131,
  0.678, -0.327, -0.25, 0.156, -1.377, 0.251,
]);

/** Upper bounds of sky-clearness (ε) bins 1..7; ε ≥ 6.2 is bin 8 (pvlib's `np.digitize` edges). */
const PEREZ_EPS_EDGES = [1.065, 1.23, 1.5, 1.95, 2.8, 4.5, 6.2] as const;

const COS_85 = Math.cos(85 * DEG);

/**
 * Perez et al. (1990) anisotropic sky diffuse on a tilted plane, W/m², with the 'allsitescomposite1990'
 * coefficients, as `pvlib.irradiance.perez(surface_tilt, surface_azimuth, dhi, dni, dni_extra,
 * solar_zenith, solar_azimuth, airmass)` (same argument order).
 *
 * ε = ((DHI + DNI)/DHI + κz³)/(1 + κz³), κ = 1.041, z in radians; Δ = DHI·AM/E₀;
 * F1 = max(0, F11 + F12Δ + F13z), F2 = F21 + F22Δ + F23z;
 * E_d = max(0, DHI·[(1 − F1)(1 + cos β)/2 + F1·a/b + F2·sin β]), a = max(0, cos AOI), b = max(cos 85°, cos z).
 *
 * `airmass` is the relative air mass (pvlib passes Kasten–Young). Returns 0 for sun at or below the
 * horizon (pvlib's NaN air mass case) and for DHI ≤ 0 (where ε is undefined and pvlib yields NaN).
 */
export function perezSkyDiffuseWm2(
  surfaceTiltDeg: number,
  surfaceAzimuthDeg: number,
  dhiWm2: number,
  dniWm2: number,
  dniExtraWm2: number,
  solarZenithDeg: number,
  solarAzimuthDeg: number,
  airmass: number,
): number {
  const dhi = cleanWm2(dhiWm2);
  if (dhi === 0 || !(solarZenithDeg < 90) || !(dniExtraWm2 > 0) || !Number.isFinite(airmass)) return 0;
  const dni = cleanWm2(dniWm2);

  const z = DEG * solarZenithDeg;
  const kz3 = 1.041 * z * z * z;
  const eps = ((dhi + dni) / dhi + kz3) / (1 + kz3);
  const delta = (dhi * airmass) / dniExtraWm2;

  let bin = 0;
  while (bin < PEREZ_EPS_EDGES.length && eps >= PEREZ_EPS_EDGES[bin]!) bin++;
  const o = bin * 6;
  const c = PEREZ_ALLSITES_1990;
  const f1Raw = c[o]! + c[o + 1]! * delta + c[o + 2]! * z;
  const f1 = f1Raw > 0 ? f1Raw : 0;
  const f2 = c[o + 3]! + c[o + 4]! * delta + c[o + 5]! * z;

  const aRaw = aoiCos(surfaceTiltDeg, surfaceAzimuthDeg, solarZenithDeg, solarAzimuthDeg);
  const a = aRaw > 0 ? aRaw : 0;
  const cosZ = Math.cos(z);
  const b = cosZ > COS_85 ? cosZ : COS_85;

  const tilt = DEG * surfaceTiltDeg;
  const term1 = 0.5 * (1 - f1) * (1 + Math.cos(tilt));
  const term2 = (f1 * a) / b;
  const term3 = f2 * Math.sin(tilt);
  return cleanWm2(dhi * (term1 + term2 + term3));
}

/**
 * Ground-reflected irradiance on a tilted plane, W/m², as `pvlib.irradiance.get_ground_diffuse`:
 * GHI · albedo · (1 − cos tilt) / 2. Default albedo 0.25 (pvlib's default).
 */
export function groundDiffuseWm2(surfaceTiltDeg: number, ghiWm2: number, albedo = 0.25): number {
  return cleanWm2(cleanWm2(ghiWm2) * albedo * (1 - Math.cos(DEG * surfaceTiltDeg)) * 0.5);
}

export interface PoaInput {
  surfaceTiltDeg: number;
  surfaceAzimuthDeg: number;
  solarZenithDeg: number;
  solarAzimuthDeg: number;
  dniWm2: number;
  ghiWm2: number;
  dhiWm2: number;
  model: 'isotropic' | 'perez';
  /** Extraterrestrial DNI for Perez. Default: the solar constant 1366.1 W/m² (pass Spencer's value if the day is known). */
  dniExtraWm2?: number;
  /** Relative air mass for Perez. Default: Kasten–Young from `solarZenithDeg`. */
  airmass?: number;
  /** Ground albedo. Default 0.25. */
  albedo?: number;
}

export interface PoaIrradiance {
  poaGlobalWm2: number;
  poaDirectWm2: number;
  poaSkyDiffuseWm2: number;
  poaGroundDiffuseWm2: number;
}

/**
 * Plane-of-array irradiance and its components, W/m², as `pvlib.irradiance.get_total_irradiance`
 * followed by `poa_components`: beam = max(0, DNI · cos AOI), sky diffuse from the chosen model, ground
 * diffuse from `groundDiffuseWm2`. All zeros when the sun is at or below the horizon.
 */
export function poaIrradiance(input: PoaInput): PoaIrradiance {
  const { surfaceTiltDeg, surfaceAzimuthDeg, solarZenithDeg, solarAzimuthDeg } = input;
  if (!(solarZenithDeg < 90)) {
    return { poaGlobalWm2: 0, poaDirectWm2: 0, poaSkyDiffuseWm2: 0, poaGroundDiffuseWm2: 0 };
  }
  const cosAoi = aoiCos(surfaceTiltDeg, surfaceAzimuthDeg, solarZenithDeg, solarAzimuthDeg);
  const direct = cleanWm2(cleanWm2(input.dniWm2) * cosAoi);
  const sky =
    input.model === 'perez'
      ? perezSkyDiffuseWm2(
          surfaceTiltDeg,
          surfaceAzimuthDeg,
          input.dhiWm2,
          input.dniWm2,
          input.dniExtraWm2 ?? SOLAR_CONSTANT_WM2,
          solarZenithDeg,
          solarAzimuthDeg,
          input.airmass ?? airMassRelative(solarZenithDeg),
        )
      : isotropicSkyDiffuseWm2(surfaceTiltDeg, input.dhiWm2);
  const ground = groundDiffuseWm2(surfaceTiltDeg, input.ghiWm2, input.albedo ?? 0.25);
  return {
    poaGlobalWm2: direct + sky + ground,
    poaDirectWm2: direct,
    poaSkyDiffuseWm2: sky,
    poaGroundDiffuseWm2: ground,
  };
}

export interface ErbsResult {
  dniWm2: number;
  dhiWm2: number;
  /** Clearness index GHI / (E₀ · max(cos z, 0.065)), clipped to [0, 1]. */
  kt: number;
}

/**
 * Erbs, Klein & Duffie (1982) decomposition of GHI into DNI and DHI, as
 * `pvlib.irradiance.erbs(ghi, zenith, datetime_or_doy, min_cos_zenith=0.065, max_zenith=87)`.
 *
 * Diffuse fraction: 1 − 0.09·kt for kt ≤ 0.22; 0.9511 − 0.1604kt + 4.388kt² − 16.638kt³ + 12.336kt⁴ for
 * 0.22 < kt ≤ 0.8; 0.165 above. For zenith > 87° (or negative GHI) DNI is 0 and DHI = GHI, as pvlib;
 * for the sun at or below the horizon everything is 0.
 */
export function erbsDecomposition(ghiWm2: number, zenithDeg: number, dayOfYear: number): ErbsResult {
  if (!(zenithDeg < 90)) return { dniWm2: 0, dhiWm2: 0, kt: 0 };
  const ghi = cleanWm2(ghiWm2);
  const cosZ = Math.cos(DEG * zenithDeg);
  // pvlib.irradiance.clearness_index: cos z floored at 0.065 (~86.3°) so kt stays bounded near sunrise.
  const i0h = extraterrestrialDniWm2(dayOfYear) * (cosZ > 0.065 ? cosZ : 0.065);
  let kt = ghi / i0h;
  if (!(kt > 0)) kt = 0;
  if (kt > 1) kt = 1;

  let df: number;
  if (kt <= 0.22) df = 1 - 0.09 * kt;
  else if (kt <= 0.8) df = 0.9511 - 0.1604 * kt + 4.388 * kt ** 2 - 16.638 * kt ** 3 + 12.336 * kt ** 4;
  else df = 0.165;

  const dhi = df * ghi;
  const dni = (ghi - dhi) / cosZ;
  if (zenithDeg > 87 || !(dni >= 0) || !Number.isFinite(dni)) {
    // pvlib's "bad values": keep the closure GHI = DHI + DNI·cos z with DNI = 0.
    return { dniWm2: 0, dhiWm2: ghi, kt };
  }
  return { dniWm2: dni, dhiWm2: dhi, kt };
}
