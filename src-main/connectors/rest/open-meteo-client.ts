/**
 * The weather service (I-02/I-03): an Open-Meteo `/v1/forecast` request for the site, parsed by the
 * engine's own Open-Meteo loader, handed to the engine as a `ForecastResult`. A failed request (after the
 * bounded retries) or an unparsable answer is `ok: false` with the reason; the engine keeps the last good one.
 */
import type { ForecastResult } from '../../engine/engine.js';
import type { WeatherSource } from '../../engine/ports.js';
import { parseOpenMeteoForecast } from '../../engine/scenario/open-meteo.js';
import type { ConnectorContext } from './connector-context.js';
import { RestClient, type RestClientOptions } from './http-client.js';

export interface OpenMeteoSourceOptions {
  client: Omit<RestClientOptions, 'sleep' | 'random' | 'onRetry'>;
  latitude: number;
  longitude: number;
}

export const OPEN_METEO_HOURLY = 'shortwave_radiation,diffuse_radiation,direct_normal_irradiance,temperature_2m,relative_humidity_2m,cloud_cover,wind_speed_10m';

export class OpenMeteoWeatherSource implements WeatherSource {
  readonly client: RestClient;
  private closed = false;

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly opts: OpenMeteoSourceOptions,
  ) {
    this.client = new RestClient({ ...opts.client, ...(ctx.sleep ? { sleep: ctx.sleep } : {}), ...(ctx.random ? { random: ctx.random } : {}) });
  }

  fetchForecast(onResult: (result: ForecastResult) => void): void {
    this.client
      .request('GET', '/v1/forecast', { query: { latitude: this.opts.latitude, longitude: this.opts.longitude, hourly: OPEN_METEO_HOURLY, forecast_days: 2, timezone: 'UTC' } })
      .then((res) => {
        const parsed = parseOpenMeteoForecast(typeof res.body === 'string' ? res.body : JSON.stringify(res.body), this.client.name);
        if (!parsed.ok) return onResult({ ok: false, error: parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ') });
        onResult({ ok: true, timeMs: parsed.forecast.timeMs, tempC: parsed.forecast.tempC });
      })
      .catch((err: unknown) => {
        if (this.closed) return;
        this.ctx.onEvent({ timeMs: this.ctx.clock.nowMs(), type: 'connector-error', level: 'warning', connector: this.client.name, message: err instanceof Error ? err.message : String(err) });
        onResult({ ok: false, error: err instanceof Error ? err.message : String(err) });
      });
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}
