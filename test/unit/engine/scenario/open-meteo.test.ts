import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseOpenMeteoForecast, type OpenMeteoForecast } from '../../../../src-main/engine/scenario/index.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../../../resources/scenarios', import.meta.url));
const SAMPLE = new URL('../../../fixtures/weather/open-meteo-sample.json', import.meta.url).pathname;
const sampleText = readFileSync(SAMPLE, 'utf8');

function ok(text: string, name = 'forecast.json'): OpenMeteoForecast {
  const r = parseOpenMeteoForecast(text, name);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.forecast;
}
function issuesOf(text: string): string[] {
  const r = parseOpenMeteoForecast(text, 'weather/forecast.json');
  if (r.ok) throw new Error('expected the forecast to be rejected');
  return r.issues.map((i) => `${i.path}: ${i.message}`);
}
/* eslint-disable @typescript-eslint/no-explicit-any -- raw JSON mutations */
const mutated = (f: (j: any) => void, text = sampleText): string => {
  const j = JSON.parse(text);
  f(j);
  return JSON.stringify(j);
};

describe('parseOpenMeteoForecast on the real Open-Meteo sample', () => {
  const fc = ok(sampleText);

  it('converts local times with utc_offset_seconds to UTC (label = end of the hour)', () => {
    expect(fc.timeMs.length).toBe(72);
    // "2026-03-02T00:00" in Europe/Berlin (+01:00) is 2026-03-01T23:00Z.
    expect(fc.timeMs[0]).toBe(Date.UTC(2026, 2, 1, 23, 0));
    expect(fc.timeMs[1]! - fc.timeMs[0]!).toBe(3_600_000);
    expect(fc.utcOffsetS).toBe(3600);
  });

  it('keeps the horizontal direct radiation it was given, and says so', () => {
    expect(fc.directSource).toBe('direct_radiation');
    expect(fc.dniWm2).toBeNull();
    expect(fc.directHorizontalWm2).not.toBeNull();
  });

  it('converts wind from km/h to m/s', () => {
    expect(fc.windMs[0]).toBeCloseTo(4.3 / 3.6, 10);
    expect(fc.gaps).toEqual([]);
  });
});

describe.each(readdirSync(SCENARIOS_DIR).filter((d) => !d.startsWith('.')))('bundled forecast %s', (name) => {
  it('parses, with direct normal irradiance and night-time cloud cover gaps', () => {
    const fc = ok(readFileSync(join(SCENARIOS_DIR, name, 'weather', 'forecast.json'), 'utf8'));
    expect(fc.timeMs.length).toBe(48);
    expect(fc.directSource).toBe('direct_normal_irradiance');
    expect(fc.dniWm2).not.toBeNull();
    // The bundled files leave cloud_cover null at night: those become NaN and are listed, never zero.
    expect(fc.gaps.length).toBeGreaterThan(0);
    expect(fc.gaps.every((g) => g.variable === 'cloudPct')).toBe(true);
    const first = fc.gaps[0]!;
    const i = fc.timeMs.indexOf(first.timeMs);
    expect(Number.isNaN(fc.cloudPct[i]!)).toBe(true);
  });
});

describe('malformed forecasts', () => {
  it('null values become NaN and gaps', () => {
    const fc = ok(mutated((j) => (j.hourly.temperature_2m[5] = null)));
    expect(Number.isNaN(fc.tempC[5]!)).toBe(true);
    expect(fc.gaps).toEqual([{ variable: 'tempC', timeMs: fc.timeMs[5] }]);
  });

  it('missing required arrays and unequal lengths are named', () => {
    const text = mutated((j) => {
      delete j.hourly.cloud_cover;
      j.hourly.wind_speed_10m.pop();
      delete j.hourly.direct_radiation;
    });
    expect(issuesOf(text)).toEqual([
      'weather/forecast.json hourly.cloud_cover: expected a list of 72 numbers (one per hourly.time), but the field is missing',
      'weather/forecast.json hourly.wind_speed_10m: expected 72 values (one per hourly.time), got 71',
      'weather/forecast.json hourly.direct_normal_irradiance: expected a list of 72 numbers (one per hourly.time) in direct_normal_irradiance or direct_radiation, but both fields are missing',
    ]);
  });

  it('hours must follow one another', () => {
    const text = mutated((j) => (j.hourly.time[3] = '2026-03-02T02:30'));
    expect(issuesOf(text)).toEqual([
      'weather/forecast.json hourly.time[3]: expected one hour after hourly.time[2] ("2026-03-02T02:00"), got "2026-03-02T02:30"',
      'weather/forecast.json hourly.time[4]: expected one hour after hourly.time[3] ("2026-03-02T02:30"), got "2026-03-02T04:00"',
    ]);
  });

  it('non-numbers, unknown units, and a missing hourly block', () => {
    expect(issuesOf(mutated((j) => (j.hourly.shortwave_radiation[2] = 'n/a')))).toEqual([
      'weather/forecast.json hourly.shortwave_radiation[2]: expected a number or null, got "n/a"',
    ]);
    expect(issuesOf(mutated((j) => (j.hourly_units.wind_speed_10m = 'bft')))).toEqual([
      'weather/forecast.json hourly_units.wind_speed_10m: expected "km/h", "m/s", "mp/h" or "kn", got "bft"',
    ]);
    expect(issuesOf(mutated((j) => delete j.hourly))).toEqual([
      'weather/forecast.json hourly: expected an object of hourly arrays, but the field is missing',
    ]);
  });

  it('accepts m/s wind and unixtime', () => {
    const fc = ok(
      mutated((j) => {
        j.hourly_units.wind_speed_10m = 'm/s';
        j.hourly_units.time = 'unixtime';
        j.hourly.time = j.hourly.time.map((_: string, i: number) => 1_772_406_000 + i * 3600);
      }),
    );
    expect(fc.windMs[0]).toBe(4.3);
    expect(fc.timeMs[0]).toBe(1_772_406_000_000);
  });

  it('JSON syntax error with line and column', () => {
    expect(issuesOf('{\n "hourly": [1,,2]\n}')).toEqual(["weather/forecast.json line 2, column 15: invalid JSON: expected a value, got ','"]);
  });
});
