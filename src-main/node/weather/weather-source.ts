/**
 * The weather source (I-02, I-03): fetches a forecast over HTTP on a schedule, keeps the last good one on
 * disk, and says how old it is.
 *
 * - Open-Meteo: `GET {baseUrl}/v1/forecast?latitude=…&longitude=…&hourly=shortwave_radiation,
 *   direct_normal_irradiance,diffuse_radiation,temperature_2m,relative_humidity_2m,cloud_cover,
 *   wind_speed_10m&forecast_days=…&past_days=1&timeformat=unixtime&wind_speed_unit=ms` (the real API's
 *   parameters; base URL configurable, e.g. a self-hosted instance or a lab server).
 * - DWD MOSMIX: `GET {baseUrl}/{station}/kml/MOSMIX_L_LATEST_{station}.kmz` (the layout of
 *   `https://opendata.dwd.de/weather/local_forecasts/mos/MOSMIX_L/single_stations`), unzipped here.
 *
 * Behaviour on trouble (never a silent zero, never a crash):
 * - HTTP error status, timeout, network error, malformed body: the refresh fails with a message that says
 *   which URL and why; the last good forecast stays in force (in memory and on disk) and is reported with
 *   its age.
 * - Missing values in an otherwise good answer (Open-Meteo nulls, MOSMIX "-"): accepted, each one listed in
 *   `forecast.gaps` and NaN in its column.
 * - Staleness: a forecast older than `staleAfterS` (default 6 h) is `stale`; the engine port then answers
 *   `ok: false` so the engine logs `forecast-missing` and falls back.
 * - The cache is written atomically (temporary file, then rename), so a crash mid-write never leaves a half
 *   file; an unreadable cache is ignored with a warning in `cacheWarning`, never fatal.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ForecastResult } from '../../engine/engine.js';
import { parseMosmixKml } from '../../engine/forecast/mosmix.js';
import { fromOpenMeteo, type HourlyWeatherForecast } from '../../engine/forecast/weather.js';
import type { WeatherSource } from '../../engine/ports.js';
import { parseOpenMeteoForecast } from '../../engine/scenario/open-meteo.js';
import { extractKmlFromKmz } from './kmz.js';

export interface WeatherSourceConfig {
  format: 'open-meteo' | 'mosmix';
  /** e.g. `https://api.open-meteo.com` or `https://opendata.dwd.de/weather/local_forecasts/mos/MOSMIX_L/single_stations`. */
  baseUrl: string;
  latitudeDeg: number;
  longitudeDeg: number;
  /** MOSMIX station id (e.g. "10315" or "P0036"); required for `mosmix`. */
  stationId?: string;
  /** Open-Meteo `forecast_days`. Default 2. */
  forecastDays?: number;
  /** Where the last good answer is kept. */
  cacheFile: string;
  /** Age after which the forecast is stale, s. Default 21600 (6 h). */
  staleAfterS?: number;
  /** HTTP timeout, ms. Default 15000. */
  timeoutMs?: number;
  /** Refresh period of `start()`, s. Default 3600. */
  refreshIntervalS?: number;
}

export interface WeatherSnapshot {
  forecast: HourlyWeatherForecast;
  /** When the answer was fetched (wall clock of the fetching process), UTC ms. */
  fetchedMs: number;
  ageS: number;
  stale: boolean;
  /** True when it was read back from the disk cache rather than fetched by this process. */
  fromCache: boolean;
  url: string;
}

export type RefreshOutcome = { ok: true; snapshot: WeatherSnapshot } | { ok: false; error: string; lastGood: WeatherSnapshot | null };

export interface WeatherSourceDeps {
  /** Wall clock, UTC ms (injected so tests leap time). */
  nowMs: () => number;
  fetch?: typeof fetch;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

interface CacheFile {
  format: 'lfc-weather-cache/1';
  source: WeatherSourceConfig['format'];
  url: string;
  fetchedMs: number;
  /** The answer as received: text for Open-Meteo, base64 for a KMZ. */
  body: string;
  encoding: 'utf8' | 'base64';
}

const HOURLY = [
  'shortwave_radiation',
  'direct_normal_irradiance',
  'diffuse_radiation',
  'temperature_2m',
  'relative_humidity_2m',
  'cloud_cover',
  'wind_speed_10m',
].join(',');

export class HttpWeatherSource implements WeatherSource {
  private readonly config: WeatherSourceConfig;
  private readonly deps: WeatherSourceDeps;
  private last: { forecast: HourlyWeatherForecast; fetchedMs: number; fromCache: boolean; url: string } | null = null;
  private timer: unknown = null;
  private inFlight: Promise<RefreshOutcome> | null = null;
  /** Why the disk cache could not be used, if it could not. */
  cacheWarning: string | null = null;
  /** The last refresh error, null after a success. */
  lastError: string | null = null;

  constructor(config: WeatherSourceConfig, deps: WeatherSourceDeps) {
    if (config.format === 'mosmix' && !config.stationId) throw new Error('weather source: format "mosmix" needs a stationId');
    this.config = config;
    this.deps = deps;
  }

  /** The request URL for the configured source. */
  url(): string {
    const base = this.config.baseUrl.replace(/\/+$/, '');
    if (this.config.format === 'mosmix') {
      const id = encodeURIComponent(this.config.stationId ?? '');
      return `${base}/${id}/kml/MOSMIX_L_LATEST_${id}.kmz`;
    }
    const q = new URLSearchParams({
      latitude: String(this.config.latitudeDeg),
      longitude: String(this.config.longitudeDeg),
      hourly: HOURLY,
      forecast_days: String(this.config.forecastDays ?? 2),
      past_days: '1',
      timeformat: 'unixtime',
      wind_speed_unit: 'ms',
    });
    return `${base}/v1/forecast?${q.toString()}`;
  }

  /** The forecast in force, with its age; null before the first success (or cache load). */
  current(): WeatherSnapshot | null {
    if (!this.last) return null;
    const ageS = (this.deps.nowMs() - this.last.fetchedMs) / 1000;
    return { ...this.last, ageS, stale: ageS > (this.config.staleAfterS ?? 21_600) };
  }

  /** Reads the last good answer from disk, if there is one (call once at start). */
  async loadCache(): Promise<WeatherSnapshot | null> {
    let text: string;
    try {
      text = await readFile(this.config.cacheFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.cacheWarning = `cannot read the weather cache ${this.config.cacheFile}: ${(err as Error).message}`;
      return null;
    }
    try {
      const c = JSON.parse(text) as CacheFile;
      if (c.format !== 'lfc-weather-cache/1' || c.source !== this.config.format || typeof c.body !== 'string' || typeof c.fetchedMs !== 'number') {
        throw new Error('not a weather cache of this source');
      }
      const bytes = c.encoding === 'base64' ? Buffer.from(c.body, 'base64') : Buffer.from(c.body, 'utf8');
      const forecast = this.parse(bytes, c.url);
      this.last = { forecast, fetchedMs: c.fetchedMs, fromCache: true, url: c.url };
      return this.current();
    } catch (err) {
      this.cacheWarning = `ignoring the weather cache ${this.config.cacheFile}: ${(err as Error).message}`;
      return null;
    }
  }

  /** Fetches once. Concurrent calls share one request. */
  refresh(): Promise<RefreshOutcome> {
    this.inFlight ??= this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<RefreshOutcome> {
    const url = this.url();
    const timeoutMs = this.config.timeoutMs ?? 15_000;
    const doFetch = this.deps.fetch ?? fetch;
    let bytes: Buffer;
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      const body = Buffer.from(await res.arrayBuffer());
      if (!res.ok) {
        const snippet = body.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim();
        return this.fail(`HTTP ${res.status} ${res.statusText} from ${url}${snippet ? `: ${snippet}` : ''}`);
      }
      bytes = body;
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return this.fail(`no answer from ${url} within ${timeoutMs} ms`);
      const cause = (e as Error & { cause?: { message?: string } }).cause?.message;
      return this.fail(`cannot reach ${url}: ${e.message}${cause ? ` (${cause})` : ''}`);
    }
    let forecast: HourlyWeatherForecast;
    try {
      forecast = this.parse(bytes, url);
    } catch (err) {
      return this.fail((err as Error).message);
    }
    const fetchedMs = this.deps.nowMs();
    this.last = { forecast, fetchedMs, fromCache: false, url };
    this.lastError = null;
    await this.writeCache({
      format: 'lfc-weather-cache/1',
      source: this.config.format,
      url,
      fetchedMs,
      body: this.config.format === 'mosmix' ? bytes.toString('base64') : bytes.toString('utf8'),
      encoding: this.config.format === 'mosmix' ? 'base64' : 'utf8',
    });
    return { ok: true, snapshot: this.current()! };
  }

  private fail(error: string): RefreshOutcome {
    this.lastError = error;
    return { ok: false, error, lastGood: this.current() };
  }

  private parse(bytes: Buffer, url: string): HourlyWeatherForecast {
    if (this.config.format === 'mosmix') {
      const kml = extractKmlFromKmz(bytes, url);
      const r = parseMosmixKml(new Uint8Array(kml.data), kml.name, this.config.stationId ? { stationId: this.config.stationId } : {});
      if (!r.ok) throw new Error(`malformed MOSMIX forecast from ${url}: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      return r.forecast;
    }
    const r = parseOpenMeteoForecast(bytes.toString('utf8'), url);
    if (!r.ok) throw new Error(`malformed Open-Meteo forecast: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    return fromOpenMeteo(r.forecast, this.config.latitudeDeg, this.config.longitudeDeg);
  }

  private async writeCache(c: CacheFile): Promise<void> {
    const file = this.config.cacheFile;
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(tmp, JSON.stringify(c));
      await rename(tmp, file);
    } catch (err) {
      // The forecast is still good in memory; say that it could not be kept.
      this.cacheWarning = `cannot write the weather cache ${file}: ${(err as Error).message}`;
    }
  }

  /** Refreshes now and then every `refreshIntervalS`; `onOutcome` hears each result. */
  start(onOutcome?: (outcome: RefreshOutcome) => void): void {
    if (this.timer !== null) return;
    const tick = (): void => {
      void this.refresh().then((o) => onOutcome?.(o));
    };
    const set = this.deps.setInterval ?? ((fn: () => void, ms: number) => setInterval(fn, ms));
    this.timer = set(tick, (this.config.refreshIntervalS ?? 3600) * 1000);
    tick();
  }

  stop(): void {
    if (this.timer === null) return;
    const clear = this.deps.clearInterval ?? ((h: unknown) => clearInterval(h as NodeJS.Timeout));
    clear(this.timer);
    this.timer = null;
  }

  /**
   * The engine port (I-02/I-03): refreshes, then answers with the forecast in force. `ok: false` when the
   * refresh failed (the engine logs `forecast-missing` and keeps its last good one) or what is left is stale.
   * The full hourly forecast rides along as `weather` for the forecast modules.
   */
  fetchForecast(onResult: (result: ForecastResult) => void): void {
    void this.refresh().then((outcome) => {
      const snap = this.current();
      const data = snap ? { timeMs: snap.forecast.timeMs, tempC: snap.forecast.tempC, weather: snap.forecast } : {};
      let result: ForecastResult & { weather?: HourlyWeatherForecast };
      if (!outcome.ok) result = { ok: false, error: outcome.error, ...data };
      else if (snap?.stale) result = { ok: false, error: `forecast is stale (fetched ${Math.round(snap.ageS / 60)} min ago)`, ...data };
      else result = { ok: true, ...data };
      onResult(result);
    });
  }
}
