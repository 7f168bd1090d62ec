import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ForecastResult } from '../../../src-main/engine/engine.js';
import { HttpWeatherSource, type WeatherSourceConfig } from '../../../src-main/node/weather/weather-source.js';

const SAMPLE = readFileSync(new URL('../../fixtures/weather/open-meteo-sample.json', import.meta.url), 'utf8');
const KMZ = readFileSync(new URL('fixtures/MOSMIX_L_LATEST_P0036.kmz', import.meta.url));

type Mode = 'good' | 'error500' | 'hang' | 'malformed' | 'nulls' | 'kmz';
let mode: Mode = 'good';
const requests: URL[] = [];
let server: Server;
let baseUrl: string;
const hanging: ServerResponse[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  requests.push(new URL(req.url ?? '/', 'http://x'));
  switch (mode) {
    case 'good':
      res.writeHead(200, { 'content-type': 'application/json' }).end(SAMPLE);
      return;
    case 'error500':
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":true,"reason":"internal"}');
      return;
    case 'hang':
      hanging.push(res); // never answers
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"hourly": {"time": [');
      return;
    case 'nulls': {
      const j = JSON.parse(SAMPLE);
      j.hourly.shortwave_radiation[12] = null;
      j.hourly.temperature_2m[13] = null;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(j));
      return;
    }
    case 'kmz':
      res.writeHead(200, { 'content-type': 'application/vnd.google-earth.kmz' }).end(KMZ);
      return;
  }
}

let dir: string;
let now = Date.UTC(2026, 2, 2, 6);
const clock = { nowMs: () => now };
const config = (over: Partial<WeatherSourceConfig> = {}): WeatherSourceConfig => ({
  format: 'open-meteo',
  baseUrl,
  latitudeDeg: 52.52,
  longitudeDeg: 13.41,
  cacheFile: join(dir, 'cache', 'weather.json'),
  staleAfterS: 6 * 3600,
  timeoutMs: 300,
  ...over,
});

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-weather-'));
  mode = 'good';
  requests.length = 0;
  now = Date.UTC(2026, 2, 2, 6);
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('HttpWeatherSource (Open-Meteo, real local HTTP server)', () => {
  it('asks with the real API parameters, parses the answer and caches it atomically', async () => {
    const src = new HttpWeatherSource(config(), clock);
    const out = await src.refresh();
    expect(out.ok).toBe(true);
    const q = requests[0]!;
    expect(q.pathname).toBe('/v1/forecast');
    expect(q.searchParams.get('latitude')).toBe('52.52');
    expect(q.searchParams.get('longitude')).toBe('13.41');
    expect(q.searchParams.get('hourly')!.split(',')).toEqual(
      expect.arrayContaining(['shortwave_radiation', 'direct_normal_irradiance', 'diffuse_radiation', 'temperature_2m', 'relative_humidity_2m', 'cloud_cover', 'wind_speed_10m']),
    );
    expect(q.searchParams.get('timeformat')).toBe('unixtime');
    const snap = src.current()!;
    expect(snap.forecast.timeMs.length).toBe(72);
    expect(snap.forecast.beamSource).toBe('from-horizontal-beam'); // the sample carries direct_radiation
    expect(snap.stale).toBe(false);
    expect(readdirSync(join(dir, 'cache'))).toEqual(['weather.json']); // no temporary file left behind
    // A new process reads the last good forecast back from disk.
    const again = new HttpWeatherSource(config(), clock);
    const cached = await again.loadCache();
    expect(cached?.fromCache).toBe(true);
    expect(Array.from(cached!.forecast.tempC)).toEqual(Array.from(snap.forecast.tempC));
  });

  it('HTTP 500: fails with the URL and status, keeps the last good forecast', async () => {
    const src = new HttpWeatherSource(config(), clock);
    await src.refresh();
    mode = 'error500';
    now += 3_600_000;
    const out = await src.refresh();
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error).toMatch(/^HTTP 500 Internal Server Error from http:\/\/127\.0\.0\.1:\d+\/v1\/forecast\?.*: \{"error":true,"reason":"internal"\}$/);
    expect(out.lastGood?.ageS).toBe(3600);
    expect(src.current()?.forecast.timeMs.length).toBe(72);
  });

  it('a server that never answers: times out with a clear message', async () => {
    mode = 'hang';
    const src = new HttpWeatherSource(config({ timeoutMs: 200 }), clock);
    const out = await src.refresh();
    expect(out).toMatchObject({ ok: false, lastGood: null });
    if (!out.ok) expect(out.error).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/v1\/forecast\?.* within 200 ms/);
  });

  it('a malformed body is refused, and the cache on disk is not overwritten', async () => {
    const src = new HttpWeatherSource(config(), clock);
    await src.refresh();
    const before = readFileSync(config().cacheFile, 'utf8');
    mode = 'malformed';
    const out = await src.refresh();
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(/malformed Open-Meteo forecast: .*invalid JSON/);
    expect(readFileSync(config().cacheFile, 'utf8')).toBe(before);
  });

  it('nulls are accepted as marked gaps, never as zeros', async () => {
    mode = 'nulls';
    const src = new HttpWeatherSource(config(), clock);
    const out = await src.refresh();
    expect(out.ok).toBe(true);
    const fc = src.current()!.forecast;
    expect(fc.ghiWm2[12]).toBeNaN();
    expect(fc.tempC[13]).toBeNaN();
    expect(fc.gaps.map((g) => g.variable).sort()).toEqual(['ghiWm2', 'tempC']);
  });

  it('marks the forecast stale after staleAfterS, and the engine port then answers ok: false', async () => {
    const src = new HttpWeatherSource(config(), clock);
    await src.refresh();
    mode = 'error500';
    now += 6 * 3600 * 1000 + 1000;
    expect(src.current()!.stale).toBe(true);
    const result = await new Promise<ForecastResult>((resolve) => src.fetchForecast(resolve));
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/HTTP 500/);
    expect(result.tempC?.length).toBe(72); // the last good one rides along
    mode = 'good';
    const fresh = await new Promise<ForecastResult>((resolve) => src.fetchForecast(resolve));
    expect(fresh.ok).toBe(true);
  });

  it('an unreadable cache is ignored with a warning, not fatal', async () => {
    const src = new HttpWeatherSource(config({ cacheFile: join(dir, 'broken.json') }), clock);
    writeFileSync(join(dir, 'broken.json'), '{"format": "something else"}');
    expect(await src.loadCache()).toBeNull();
    expect(src.cacheWarning).toMatch(/ignoring the weather cache .*broken\.json: not a weather cache of this source/);
  });

  it('start() refreshes at once and on its interval (injected timer), stop() ends it', async () => {
    let tick: (() => void) | null = null;
    let cleared = false;
    const src = new HttpWeatherSource(config({ refreshIntervalS: 60 }), {
      ...clock,
      setInterval: (fn) => {
        tick = fn;
        return 1;
      },
      clearInterval: () => {
        cleared = true;
      },
    });
    const outcomes: boolean[] = [];
    await new Promise<void>((resolve) => {
      src.start((o) => {
        outcomes.push(o.ok);
        if (outcomes.length === 1) tick!();
        if (outcomes.length === 2) resolve();
      });
    });
    expect(outcomes).toEqual([true, true]);
    expect(requests.length).toBe(2);
    src.stop();
    expect(cleared).toBe(true);
  });
});

describe('HttpWeatherSource (DWD MOSMIX KMZ)', () => {
  it('fetches the station’s KMZ, unzips and parses it', async () => {
    mode = 'kmz';
    const src = new HttpWeatherSource(config({ format: 'mosmix', stationId: 'P0036' }), clock);
    const out = await src.refresh();
    expect(out.ok).toBe(true);
    expect(requests[0]!.pathname).toBe('/P0036/kml/MOSMIX_L_LATEST_P0036.kmz');
    expect(src.current()!.forecast.source).toBe('mosmix');
    expect(src.current()!.forecast.ghiWm2[0]).toBeCloseTo(510 / 3.6, 9);
    const again = new HttpWeatherSource(config({ format: 'mosmix', stationId: 'P0036' }), clock);
    expect((await again.loadCache())?.forecast.timeMs.length).toBe(247);
  });

  it('an HTML error page instead of a KMZ is refused with the reason', async () => {
    mode = 'good'; // serves JSON, not a zip
    const src = new HttpWeatherSource(config({ format: 'mosmix', stationId: 'P0036' }), clock);
    const out = await src.refresh();
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error).toMatch(/MOSMIX_L_LATEST_P0036\.kmz: not a zip archive/);
  });
});
