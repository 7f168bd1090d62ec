/**
 * The uplink as one of a site's connections: listed (kind mqtt, its broker, its site id) only when the site
 * file has an `uplink` section, and its health row from the publisher's status — connected is ok, offline
 * is down with the last error; the backlog in the label; the age of the last acknowledgement on the EMS
 * clock only when that is the wall clock; an uplink whose outbox is closed reads as not started.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { SiteService } from '../../../src-main/core/site-service';
import { siteConnectionHealth, siteConnections, uplinkStatusOf } from '../../../src-main/field/site-connections';
import type { EngineSnapshot } from '../../../src-main/engine/engine';
import { resourcesDir } from '../../../src-main/node/paths';
import { parseSiteFile, type SiteFile } from '../../../src-main/site/site-file';
import type { UplinkStatus } from '../../../src-main/uplink/publisher';

const scenarioPath = join(resourcesDir(), 'scenarios', 'summer-export-hold', 'scenario.json');
/** The console's site template (a valid site file), with this uplink section and clock. */
const template = JSON.parse(new SiteService({ sitePath: join(tmpdir(), 'lfc-no-site', 'site.json'), dataDirPath: tmpdir(), resourcesDirPath: resourcesDir(), secretStore: null, running: () => null, templateScenarioPath: scenarioPath }).get().template) as Record<string, unknown>;
function site(uplink?: Record<string, unknown>, clock: 'system' | 'lab-rig' = 'system'): SiteFile {
  return parseSiteFile(JSON.stringify({ ...template, name: 'Community 3', clock: clock === 'system' ? { source: 'system' } : { source: 'lab-rig', endpoint: 'dso' }, ...(uplink ? { uplink } : {}) }));
}
const NOW = Date.parse('2026-06-21T09:00:00Z');
const snap = { nowMs: NOW, breaker: { lastSampleMs: NOW, stale: false, safeState: false }, assets: [], forecastMissing: false } as unknown as EngineSnapshot;
const status = (o: Partial<UplinkStatus>): UplinkStatus => ({ connected: true, url: 'mqtts://fleet.example.org:8883', siteId: 'community-3', backlogPoints: 1200, backlogItems: 3, lastAckMs: NOW - 4000, lastError: null, connections: 1, ...o });
const row = (s: SiteFile, u: UplinkStatus | null) => siteConnectionHealth(s, snap, new Map(), { url: null, lastTriggerMs: null }, u).find((c) => c.id === 'uplink');

describe('the uplink among the site connections', () => {
  it('is listed only with an uplink section, with its broker and site id', () => {
    expect(siteConnections(site()).some((c) => c.id === 'uplink')).toBe(false);
    expect(siteConnections(site({ url: 'mqtts://fleet.example.org:8883' })).find((c) => c.id === 'uplink')).toMatchObject({ kind: 'mqtt', endpoint: 'mqtts://fleet.example.org:8883', role: expect.stringContaining('as site community-3') });
  });

  it('connected: ok, the backlog in the label, the last acknowledgement’s age', () => {
    expect(row(site({ url: 'mqtt://b' }), status({}))).toMatchObject({ health: 'ok', label: 'fleet uplink, backlog 1203 rows', lastDataMs: NOW - 4000, detail: expect.stringMatching(/^connected to mqtts:\/\/fleet\.example\.org:8883 as community-3; backlog 1200 points and 3 .*last acknowledged 2026-06-21T08:59:56\.000Z$/) });
  });

  it('offline: down with the last error; on a lab rig’s clock the age is left out (the time is in the detail)', () => {
    const r = row(site({ url: 'mqtt://b' }, 'lab-rig'), status({ connected: false, lastError: 'connect ECONNREFUSED 127.0.0.1:1883' }));
    expect(r).toMatchObject({ health: 'down', lastDataMs: null, detail: expect.stringMatching(/^offline \(connect ECONNREFUSED .*\); backlog .* kept in the outbox; last acknowledged 2026/) });
  });

  it('not started, or its outbox closed: down', () => {
    expect(row(site({ url: 'mqtt://b' }), null)).toMatchObject({ health: 'down', detail: 'not started' });
    expect(uplinkStatusOf({ status: () => { throw new TypeError('The database connection is not open'); } })).toBeNull();
    expect(uplinkStatusOf(null)).toBeNull();
  });
});
