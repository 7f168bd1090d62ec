/**
 * A site's connections as the console lists, watches and tests them: the breaker meter (I-05 over the DSO
 * platform), each asset's binding (OPC UA or Modbus/SunSpec to the BESS, a vendor backend, the DSO platform's setpoint
 * forwarding), the weather service and the trigger intake (I-01).
 *
 * Ids are stable and readable: `breaker`, `asset:<assetId>`, `weather`, `intake`, and `uplink` (the fleet's
 * MQTT broker) when the site file has an `uplink` section.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { AssetBinding, EndpointConfig } from '../connectors/config/connector-config.js';
import { probeModbus } from '../connectors/modbus/probe.js';
import { loadBessMapping } from '../connectors/opcua/mapping.js';
import { probeOpcua } from '../connectors/opcua/probe.js';
import { probeRest } from '../connectors/rest/probe.js';
import type { EngineSnapshot } from '../engine/engine.js';
import { resourcesDir } from '../node/paths.js';
import { memberIds } from '../sim/plant.js';
import type { ConnectionHealth, ConnectionInfo, ConnectionTestResult } from '../shared/ipc-contract.js';
import type { LoadedSite, SiteFile } from '../site/site-file.js';
import { siteIdFromName } from '../uplink/codec.js';
import { probeUplink } from '../uplink/probe.js';
import type { UplinkStatus } from '../uplink/publisher.js';
import { resolveUplink, UplinkConfigError } from '../uplink/uplink-config.js';

export function siteConnections(site: SiteFile, intakeUrl: string | null = null): ConnectionInfo[] {
  const c = site.connectors;
  const url = (name: string) => c.endpoints[name]?.baseUrl ?? `(no endpoint ${name})`;
  const out: ConnectionInfo[] = [];
  if (c.breaker.via === 'dsoPlatform') out.push({ id: 'breaker', label: `breaker meter ${c.breaker.meterId}`, kind: 'rest', endpoint: url(c.breaker.endpoint), role: 'breaker measurement (I-05), DSO platform' });
  for (const b of c.assets) {
    const asset = site.plant.assets.find((a) => a.id === b.asset);
    const kind = asset?.kind ?? 'asset';
    if (b.via === 'opcua') out.push({ id: `asset:${b.asset}`, label: `${b.asset} (OPC UA)`, kind: 'opcua', endpoint: b.endpointUrl, role: `${kind}: telemetry (I-04) and setpoints (I-06)` });
    else if (b.via === 'modbus') out.push({ id: `asset:${b.asset}`, label: `${b.asset} (Modbus/SunSpec)`, kind: 'modbus', endpoint: `${b.host}:${b.port} unit ${b.unitId}`, role: `${kind}: telemetry (I-04) and setpoints (I-06), reverts after ${b.revertS} s; Modbus has no security` });
    else if (b.via === 'rest') out.push({ id: `asset:${b.asset}`, label: `${b.asset} (${b.backend} backend)`, kind: 'rest', endpoint: url(b.endpoint), role: `${kind}: vendor cloud, telemetry and setpoints` });
    else if (b.via === 'dsoPlatform') out.push({ id: `asset:${b.asset}`, label: `${b.asset} (DSO platform)`, kind: 'rest', endpoint: url(b.endpoint), role: `${kind}: setpoint forwarding (I-06)` });
  }
  if (c.weather.via === 'openMeteo') out.push({ id: 'weather', label: 'weather forecast', kind: 'rest', endpoint: url(c.weather.endpoint), role: 'irradiance and temperature forecast (Open-Meteo)' });
  out.push({ id: 'intake', label: 'trigger intake', kind: 'intake', endpoint: intakeUrl ?? `http://${c.triggerIntake.host}:${c.triggerIntake.port || '(any free port)'}/v1/triggers`, role: 'triggers from the grid operator (I-01)' });
  if (site.uplink) out.push({ id: 'uplink', label: 'fleet uplink', kind: 'mqtt', endpoint: site.uplink.url, role: `the fleet's central history over MQTT, as site ${site.uplink.siteId ?? siteIdFromName(site.name)}` });
  return out;
}

/** A running uplink's status, or null (none, or its outbox already closed by the EMS's stop). */
export function uplinkStatusOf(uplink: { status(): UplinkStatus } | null | undefined): UplinkStatus | null {
  try {
    return uplink?.status() ?? null;
  } catch {
    return null;
  }
}

/**
 * The uplink's row of the health list: connected (ok) or offline (down), its backlog in the label (rows not
 * yet acknowledged by the broker), the age of the last acknowledgement — on the EMS clock only when that is
 * the wall clock (a lab rig's runs faster; then the time is in the detail).
 */
function uplinkHealth(base: Pick<ConnectionHealth, 'id' | 'kind'>, status: UplinkStatus | null, wallClock: boolean): ConnectionHealth {
  if (!status) return { ...base, label: 'fleet uplink', health: 'down', lastDataMs: null, detail: 'not started' };
  const rows = status.backlogPoints + status.backlogItems;
  const acked = status.lastAckMs === null ? 'nothing acknowledged yet' : `last acknowledged ${new Date(status.lastAckMs).toISOString()}`;
  const backlog = `backlog ${status.backlogPoints} points and ${status.backlogItems} runs/KPIs/events`;
  return {
    ...base,
    label: `fleet uplink, backlog ${rows} rows`,
    health: status.connected ? 'ok' : 'down',
    lastDataMs: wallClock ? status.lastAckMs : null,
    detail: status.connected ? `connected to ${status.url} as ${status.siteId}; ${backlog}; ${acked}` : `offline (${status.lastError ?? 'not connected yet'}); ${backlog} kept in the outbox; ${acked}`,
  };
}

/**
 * Each connection's health now, from what the engine last got over it: the breaker within three periods,
 * an asset within three of its report periods (its link not lost), the forecast in hand.
 */
export function siteConnectionHealth(site: SiteFile, snap: EngineSnapshot, lastReportMs: ReadonlyMap<string, number>, intake: { url: string | null; lastTriggerMs: number | null }, uplink: UplinkStatus | null = null): ConnectionHealth[] {
  const now = snap.nowMs;
  const m = site.plant.measurement;
  const age = (t: number | null) => (t === null ? 'nothing yet' : `${Math.max(0, Math.round((now - t) / 1000))} s ago`);
  const grade = (t: number | null, periodS: number, lost: boolean): ConnectionHealth['health'] => (lost || t === null ? 'down' : now - t <= 3 * periodS * 1000 ? 'ok' : 'stale');
  return siteConnections(site, intake.url).map((info): ConnectionHealth => {
    const base = { id: info.id, label: info.label, kind: info.kind };
    if (info.id === 'uplink') return uplinkHealth(base, uplink, site.clock.source === 'system');
    if (info.id === 'breaker') {
      const t = snap.breaker.lastSampleMs;
      const h = snap.breaker.stale && t !== null ? 'stale' : grade(t, m.breakerPeriodS, false);
      return { ...base, health: h, lastDataMs: t, detail: `last sample ${age(t)}${snap.breaker.safeState ? ', safe state' : ''}` };
    }
    if (info.id.startsWith('asset:')) {
      const assetId = info.id.slice('asset:'.length);
      const asset = site.plant.assets.find((a) => a.id === assetId);
      const members = memberIds(assetId, asset && 'count' in asset ? asset.count : undefined);
      let t: number | null = null;
      for (const id of members) {
        const r = lastReportMs.get(id);
        if (r !== undefined && (t === null || r > t)) t = r;
      }
      const rows = snap.assets.filter((a) => members.includes(a.id));
      const lost = rows.length > 0 && rows.every((a) => a.link === 'lost');
      const rejecting = rows.some((a) => a.link === 'rejecting');
      // The BESS streams (OPC UA subscription) or is polled (Modbus); the others report every assetPeriodS.
      const periodS = asset?.kind === 'bess' ? Math.max(m.breakerPeriodS, 10) : m.assetPeriodS;
      return { ...base, health: grade(t, periodS, lost), lastDataMs: t, detail: `last report ${age(t)}${lost ? ', link lost' : ''}${rejecting ? ', rejecting setpoints' : ''}` };
    }
    if (info.id === 'weather') return { ...base, health: snap.forecastMissing ? 'stale' : 'ok', lastDataMs: null, detail: snap.forecastMissing ? 'no usable forecast' : 'forecast in hand' };
    return { ...base, health: intake.url ? 'ok' : 'down', lastDataMs: intake.lastTriggerMs, detail: intake.url ? `listening; last trigger ${age(intake.lastTriggerMs)}` : 'not listening' };
  });
}

/**
 * The EMS's OPC UA PKI folder for a site: the BESS link's own `pkiDir` if it names one, else
 * `opcua.pkiDir`, else `<dataDir>/pki`; relative folders are relative to the data folder. The probe, the
 * console's Trust / Reject and the field EMS all use this one folder.
 */
export function sitePkiDir(site: SiteFile, dataDir: string): string {
  const own = site.connectors.assets.find((b) => b.via === 'opcua' && b.pkiDir !== undefined);
  const p = (own && own.via === 'opcua' ? own.pkiDir : undefined) ?? site.opcua.pkiDir;
  return p ? (isAbsolute(p) ? p : resolve(dataDir, p)) : join(dataDir, 'pki');
}

/** Tests one connection of a site for real (see `connectors/opcua/probe.ts` and `connectors/rest/probe.ts`). */
export async function testSiteConnection(loaded: LoadedSite, dataDir: string, id: string, intakeUrl: string | null = null): Promise<ConnectionTestResult> {
  const { site, secrets } = loaded;
  const c = site.connectors;
  const endpoint = (name: string): EndpointConfig => {
    const e = c.endpoints[name];
    if (!e) throw new Error(`no endpoint "${name}" in the site's connectors`);
    return e;
  };
  const rest = (name: string) => {
    const e = endpoint(name);
    const token = e.tokenSecret ? secrets(e.tokenSecret) : undefined;
    return { name, baseUrl: e.baseUrl, timeoutMs: e.timeoutMs, ...(token ? { bearerToken: token } : {}) };
  };
  // A connection whose token is named but not set is not probed without it (a 401 would say less).
  const tokenMissing = (name: string): ConnectionTestResult | null => {
    const t = c.endpoints[name]?.tokenSecret;
    return t && !secrets(t) ? { id, ok: false, message: `secret ${t} is not set: enter it under Secrets and save`, steps: [{ step: 'login', ok: false, detail: `secret ${t} not set` }], latencyMs: null, opcua: null } : null;
  };
  const endpointOf = id === 'breaker' && c.breaker.via === 'dsoPlatform' ? c.breaker.endpoint : id === 'weather' && c.weather.via === 'openMeteo' ? c.weather.endpoint : (() => {
    const b = c.assets.find((x) => `asset:${x.asset}` === id);
    return b && 'endpoint' in b ? b.endpoint : null;
  })();
  if (endpointOf !== null) {
    const missing = tokenMissing(endpointOf);
    if (missing) return missing;
  }
  if (id === 'breaker' && c.breaker.via === 'dsoPlatform') {
    const r = await probeRest({
      ...rest(c.breaker.endpoint),
      read: {
        path: `/v1/meters/${encodeURIComponent(c.breaker.meterId)}/measurement`,
        query: { after: 0, waitMs: 0 },
        describe: (status, body) => (status === 204 ? 'meter known, no sample yet' : `breaker sample of ${String((body as { sampleTime?: string }).sampleTime)}`),
      },
    });
    return { id, ...r };
  }
  if (id === 'weather' && c.weather.via === 'openMeteo') {
    const w = c.weather;
    const r = await probeRest({
      ...rest(w.endpoint),
      read: { path: '/v1/forecast', query: { latitude: w.latitude, longitude: w.longitude, hourly: 'temperature_2m', forecast_days: 1 }, describe: (_s, body) => `forecast with ${String((body as { hourly?: { time?: unknown[] } }).hourly?.time?.length ?? 0)} hours` },
    });
    return { id, ...r };
  }
  if (id === 'uplink' && site.uplink) {
    // The link as the EMS would open it: the password from its secret, the TLS files beside the site file.
    let link;
    try {
      link = resolveUplink(site, loaded.path, secrets)!.link;
    } catch (error) {
      if (!(error instanceof UplinkConfigError)) throw error;
      const step = error.path.includes('tls') ? ('secure-channel' as const) : ('login' as const);
      const detail = error.path.endsWith('passwordSecret') ? `secret ${site.uplink.passwordSecret} not set` : error.message;
      const message = error.path.endsWith('passwordSecret') ? `secret ${site.uplink.passwordSecret} is not set: enter it under Secrets and save` : `uplink: ${error.message}`;
      return { id, ok: false, message, steps: [{ step, ok: false, detail }], latencyMs: null, opcua: null };
    }
    return { id, ...(await probeUplink(link)) };
  }
  if (id === 'intake') {
    if (!intakeUrl) return { id, ok: false, message: 'the trigger intake is not listening: start the field EMS', steps: [{ step: 'listen', ok: false, detail: 'not listening' }], latencyMs: null, opcua: null };
    return { id, ok: true, message: `listening at ${intakeUrl}`, steps: [{ step: 'listen', ok: true, detail: intakeUrl }], latencyMs: null, opcua: null };
  }
  const binding: AssetBinding | undefined = id.startsWith('asset:') ? c.assets.find((b) => b.asset === id.slice('asset:'.length)) : undefined;
  if (!binding) throw new Error(`no connection ${id} in the site`);
  if (binding.via === 'opcua') {
    const missing = [binding.userSecret, binding.passwordSecret].filter((n): n is string => n !== undefined && !secrets(n));
    if (missing.length > 0) return { id, ok: false, message: `secret ${missing.join(', ')} is not set: enter it under Secrets and save`, steps: [{ step: 'login', ok: false, detail: `secret ${missing.join(', ')} not set` }], latencyMs: null, opcua: null };
    const user = binding.userSecret && binding.passwordSecret ? { username: secrets(binding.userSecret)!, password: secrets(binding.passwordSecret)!, label: `the user of ${binding.userSecret}` } : undefined;
    const mappingPath = site.opcua.mappingFile ? resolve(loaded.path, '..', site.opcua.mappingFile) : resolve(resourcesDir(), 'opcua/sunspec-bess.json');
    const r = await probeOpcua({
      endpointUrl: binding.endpointUrl,
      securityMode: site.opcua.securityMode,
      securityPolicy: site.opcua.securityPolicy,
      pkiDir: sitePkiDir(site, dataDir),
      mapping: loadBessMapping(mappingPath),
      vouchedThumbprints: site.opcua.trustedThumbprints,
      ...(user ? { user } : {}),
    });
    return { id, ...r };
  }
  if (binding.via === 'modbus') {
    const r = await probeModbus({ host: binding.host, port: binding.port, unitId: binding.unitId, timeoutMs: binding.timeoutMs, control: binding.control, batteryPowerSign: binding.batteryPowerSign });
    return { id, ...r };
  }
  if (binding.via === 'rest') {
    const r = await probeRest({ ...rest(binding.endpoint), read: { path: '/v1/telemetry', query: { after: 0, waitMs: 0 }, describe: (_s, body) => `telemetry page with ${String((body as { reports?: unknown[] }).reports?.length ?? 0)} reports` } });
    return { id, ...r };
  }
  if (binding.via === 'dsoPlatform') {
    // Setpoint forwarding has nothing to read without writing: reach and the token are what can be tested.
    const r = await probeRest({ ...rest(binding.endpoint), read: { path: '/v1/health', describe: () => 'platform healthy (setpoint forwarding is tested only by writing, which a test never does)' } });
    return { id, ...r };
  }
  throw new Error(`connection ${id} is not one the field EMS can test`);
}
