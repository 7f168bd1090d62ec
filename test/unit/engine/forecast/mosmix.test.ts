import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { magnusSaturationHpa, parseMosmixKml, relativeHumidityPct } from '../../../../src-main/engine/forecast/mosmix.js';

const SAMPLE = new URL('../../../fixtures/weather/mosmix-sample.kml', import.meta.url).pathname;
const sampleBytes = new Uint8Array(readFileSync(SAMPLE));
const sampleText = new TextDecoder('latin1').decode(sampleBytes);

function ok(input: Uint8Array | string) {
  const r = parseMosmixKml(input, 'mosmix.kml');
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r;
}
function issuesOf(input: string): string[] {
  const r = parseMosmixKml(input, 'mosmix.kml');
  if (r.ok) throw new Error('expected the file to be rejected');
  return r.issues.map((i) => `${i.path}: ${i.message}`);
}
/** Replaces the value list of one element in the sample. */
function withValues(element: string, f: (values: string[]) => string[]): string {
  const re = new RegExp(`(dwd:elementName="${element}">\\s*<dwd:value>)([^<]*)(</dwd:value>)`);
  return sampleText.replace(re, (_m, a: string, v: string, b: string) => `${a}${f(v.trim().split(/\s+/)).join(' ')}${b}`);
}

describe('parseMosmixKml on the real DWD sample (MUENSTER ZENTRUM, issued 2023-04-12 09 UTC)', () => {
  const { forecast: fc, station } = ok(sampleBytes);

  it('reads the station, its coordinates and the issue time', () => {
    expect(station).toEqual({ id: 'P0036', name: 'MUENSTER ZENTRUM', latitudeDeg: 51.97, longitudeDeg: 7.63, elevationM: 60 });
    expect(fc.issuedMs).toBe(Date.UTC(2023, 3, 12, 9));
    expect(fc.source).toBe('mosmix');
  });

  it('has one hourly UTC label per time step', () => {
    expect(fc.timeMs.length).toBe(247);
    expect(fc.timeMs[0]).toBe(Date.UTC(2023, 3, 12, 10));
    for (let i = 1; i < fc.timeMs.length; i++) expect(fc.timeMs[i]! - fc.timeMs[i - 1]!).toBe(3_600_000);
  });

  it('converts Rad1h (kJ/m² over the last hour) to the hour-mean W/m² by ÷ 3.6', () => {
    expect(fc.ghiWm2[0]).toBeCloseTo(510 / 3.6, 9); // 141.67 W/m²
    expect(fc.ghiWm2[10]).toBe(0);
  });

  it('converts TTT and Td from K to °C and derives RH with the Magnus formula', () => {
    expect(fc.tempC[0]).toBeCloseTo(282.75 - 273.15, 9);
    // By hand: T = 9.60 °C, Td = 5.90 °C; e_s(9.6) = 6.112·e^0.66934 = 11.936 hPa,
    // e_s(5.9) = 6.112·e^0.41747 = 9.279 hPa → RH = 77.74 %.
    expect(magnusSaturationHpa(9.6)).toBeCloseTo(11.936, 3);
    expect(magnusSaturationHpa(5.9)).toBeCloseTo(9.279, 3);
    expect(fc.rhPct[0]).toBeCloseTo(77.74, 1);
    expect(fc.windMs[0]).toBeCloseTo(5.14, 9);
    expect(fc.cloudPct[0]).toBe(100);
  });

  it('splits the global irradiance with Erbs so that GHI = DHI + DNI·cos z holds on average', () => {
    expect(fc.beamSource).toBe('erbs');
    for (let i = 0; i < fc.timeMs.length; i++) {
      expect(fc.dhiWm2[i]!).toBeGreaterThanOrEqual(0);
      expect(fc.dhiWm2[i]!).toBeLessThanOrEqual(fc.ghiWm2[i]! + 1e-9);
      expect(fc.dniWm2[i]!).toBeGreaterThanOrEqual(0);
    }
  });

  it('has no gaps in the five elements it uses', () => {
    expect(fc.gaps).toEqual([]);
  });
});

describe('parseMosmixKml: missing values, encoding and bad files', () => {
  it('turns "-" into NaN and a gap, never a zero (and Rad1h gaps are gaps in beam and diffuse too)', () => {
    const text = withValues('Rad1h', (v) => ['-', ...v.slice(1)]);
    const fc = ok(text).forecast;
    expect(fc.ghiWm2[0]).toBeNaN();
    expect(fc.dniWm2[0]).toBeNaN();
    expect(fc.dhiWm2[0]).toBeNaN();
    const t0 = Date.UTC(2023, 3, 12, 10);
    expect(fc.gaps).toEqual([
      { variable: 'dhiWm2', timeMs: t0 },
      { variable: 'dniWm2', timeMs: t0 },
      { variable: 'ghiWm2', timeMs: t0 },
    ]);
  });

  it('a missing dew point makes the humidity a gap', () => {
    const fc = ok(withValues('Td', (v) => [v[0]!, '-', ...v.slice(2)])).forecast;
    expect(fc.rhPct[1]).toBeNaN();
    expect(fc.gaps).toEqual([{ variable: 'rhPct', timeMs: Date.UTC(2023, 3, 12, 11) }]);
  });

  it('decodes ISO-8859-1 bytes (umlauts in station names survive)', () => {
    const latin1 = sampleText.replace('MUENSTER ZENTRUM', 'M\u00fcnster Zentrum');
    const bytes = new Uint8Array([...latin1].map((c) => c.charCodeAt(0)));
    expect(bytes.includes(0xfc)).toBe(true);
    expect(ok(bytes).station.name).toBe('Münster Zentrum');
  });

  it('says which element is missing or wrong, and where', () => {
    expect(issuesOf(sampleText.replace('dwd:elementName="Rad1h"', 'dwd:elementName="Rad1hX"'))).toEqual([
      'mosmix.kml dwd:Forecast "Rad1h": expected the element Rad1h for station "P0036", but it is missing',
    ]);
    const bad = issuesOf(withValues('TTT', (v) => [v[0]!, 'abc', ...v.slice(2)]));
    expect(bad[0]).toMatch(/dwd:Forecast "TTT" \(line \d+\) value 2: expected a number or "-", got "abc"/);
    expect(issuesOf(withValues('FF', (v) => v.slice(1)))[0]).toMatch(/expected 247 values \(one per time step\), got 246/);
    expect(issuesOf('{"not": "kml"}')[0]).toMatch(/expected a KML document/);
    expect(parseMosmixKml(sampleText, 'm.kml', { stationId: '10315' })).toEqual({
      ok: false,
      issues: [{ path: 'm.kml kml:Placemark', message: 'expected station "10315", got only "P0036"' }],
    });
  });

  it('relativeHumidityPct is 100 at the dew point and falls with a drier air mass', () => {
    expect(relativeHumidityPct(12, 12)).toBeCloseTo(100, 9);
    expect(relativeHumidityPct(20, 10)).toBeCloseTo(52.5, 0);
  });
});
