/**
 * The fleet uplink end to end, with real components started as a user would: Mosquitto and PostgreSQL
 * (Debian's packages, on free loopback ports with their own folders), three lab rigs (rig-only, each a
 * simulated community behind the field's protocols), three headless field EMS (`npm run ems -- --site F
 * --uplink URL`, child processes) publishing to the one broker, and the collector (`npm run fleet`, a
 * child process) writing into PostgreSQL.
 *
 * Mid-run the broker is stopped for 60 s of wall-clock time and started again (the EMS go on controlling
 * and keep everything in their outbox), then the collector is killed with SIGKILL and restarted (its
 * persistent session keeps what the sites published meanwhile). At the end the rows in PostgreSQL equal the
 * rows of each site's own SQLite outbox — both counted by SQL, not by the code under test — with no
 * duplicate, and every run and its KPIs are there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabSession } from '../../../src-main/lab/lab-session.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { siteFileForRig } from '../../../src-main/site/rig-site.js';
import { writeSiteFile } from '../../../src-main/site/site-file.js';
import { MOSQUITTO_MISSING, MosquittoBroker, mosquittoBinary } from '../../fixtures/services/mosquitto.js';
import { POSTGRES_MISSING, PostgresCluster, postgresBinDir } from '../../fixtures/services/postgres.js';

const SPEED = 20;
const START_MS = Date.parse('2026-06-21T10:58:00+02:00');
const END_MS = START_MS + 120 * 60_000;
/** 20 simulated minutes (60 s of wall clock at 20×): the runs end while the broker is down. */
const TRIGGER = { useCase: 2, targetKw: -250, durationS: 1200, toleranceKw: 10 };
const SITES = ['site-a', 'site-b', 'site-c'] as const;
const OUTAGE_MS = 60_000;
const repo = resolve(__dirname, '../../..');

const missing = !mosquittoBinary() ? MOSQUITTO_MISSING : !postgresBinDir() ? POSTGRES_MISSING : null;
if (missing) console.warn(`fleet-uplink.test.ts: ${missing}`);

interface Proc {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** A command of ours as a child process, once it has printed `marker`. */
async function spawnUntil(args: string[], marker: string, timeoutMs: number): Promise<Proc> {
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (b: Buffer) => (out.stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out.stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + timeoutMs;
  while (!out.stdout.includes(marker)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} did not print ${JSON.stringify(marker)}:\n${out.stdout}\n${out.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, out, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts in a site's own outbox, by SQL on its file (read-only; the EMS may still be writing). */
function localCounts(file: string): { points: number; events: number; runs: number; kpis: number; bySeries: Map<string, number> } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const bySeries = new Map((db.prepare('SELECT series, count(*) AS n FROM points GROUP BY series').all() as Array<{ series: string; n: number }>).map((r) => [r.series, r.n]));
    return {
      points: one('SELECT count(*) AS n FROM points'),
      events: one("SELECT count(*) AS n FROM items WHERE kind = 'events'"),
      runs: one("SELECT count(DISTINCT json_extract(body, '$.runId')) AS n FROM items WHERE kind = 'runs'"),
      kpis: one("SELECT count(DISTINCT json_extract(body, '$.runId')) AS n FROM items WHERE kind = 'kpis'"),
      bySeries,
    };
  } finally {
    db.close();
  }
}

let dir: string;
let broker: MosquittoBroker;
let cluster: PostgresCluster;
let db: pg.Client;
const rigs: LabSession[] = [];
const ems: Array<{ site: string; dataDir: string; proc: Proc; intake: string; token: string }> = [];
let collector: Proc | null = null;
const collectorArgs = () => [join(repo, 'scripts/cli.mjs'), 'fleet', '--mqtt', broker.url, '--postgres', cluster.url(), '--report-s', '5'];

async function pgCount(sql: string, params: unknown[] = []): Promise<number> {
  return Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);
}

describe.skipIf(missing !== null)('three field EMS, one broker, one collector, PostgreSQL', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lfc-fleet-'));
    [broker, cluster] = await Promise.all([MosquittoBroker.start(), PostgresCluster.start()]);
    // Build the command bundles once, before several processes start at the same time.
    for (const cmd of ['ems', 'fleet']) {
      await new Promise<void>((r) => spawn(process.execPath, [join(repo, 'scripts/cli.mjs'), cmd, '--help'], { cwd: repo, stdio: 'ignore' }).on('exit', () => r()));
    }
    collector = await spawnUntil(collectorArgs(), 'ready\n', 60_000);
    const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
    const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
    for (const siteId of SITES) {
      const session = new LabSession({ ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) }, { speed: SPEED, windowStartMs: START_MS, windowEndMs: END_MS, rigOnly: true });
      await session.start();
      rigs.push(session);
      const { site, secrets } = siteFileForRig(session.rig);
      // The site file names an unreachable broker; `--uplink` overrides it, as on a lab machine.
      const sitePath = writeSiteFile(join(dir, `${siteId}.json`), { ...site, name: `${site.name} ${siteId}`, uplink: { url: 'mqtt://fleet.invalid:1883', siteId, maxPointsPerS: 30_000, retentionDays: 31 } }, secrets).sitePath;
      const dataDir = join(dir, `${siteId}.data`);
      const proc = await spawnUntil([join(repo, 'scripts/cli.mjs'), 'ems', '--site', sitePath, '--data-dir', dataDir, '--uplink', broker.url], 'ready\n', 90_000);
      const intake = /trigger intake: (http:\/\/127\.0\.0\.1:\d+\/v1\/triggers)/.exec(proc.out.stdout)![1]!;
      const token = (await readFile(join(dataDir, 'intake-token'), 'utf8')).trim();
      ems.push({ site: siteId, dataDir, proc, intake, token });
    }
    db = new pg.Client(cluster.url());
    await db.connect();
  }, 240_000);

  afterAll(async () => {
    await db?.end().catch(() => {});
    for (const e of ems) if (e.proc.child.exitCode === null) e.proc.child.kill('SIGKILL');
    if (collector && collector.child.exitCode === null) collector.child.kill('SIGKILL');
    for (const r of rigs) await r.stop().catch(() => {});
    await broker?.dispose();
    await cluster?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('loses and duplicates nothing across a 60 s broker outage and a killed collector', async () => {
    for (const e of ems) {
      const res = await fetch(e.intake, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${e.token}` }, body: JSON.stringify(TRIGGER) });
      expect(res.status, await res.text()).toBe(202);
    }
    // Data reach PostgreSQL while all is up.
    const deadline = Date.now() + 30_000;
    while ((await pgCount("SELECT count(DISTINCT site_id) AS n FROM measurements")) < SITES.length) {
      expect(Date.now(), 'every site reaches PostgreSQL').toBeLessThan(deadline);
      await sleep(500);
    }

    // The broker goes away for 60 s of wall clock; the EMS go on controlling and keep everything.
    const before = ems.map((e) => localCounts(join(e.dataDir, 'uplink.sqlite')).points);
    const pgBefore = await pgCount('SELECT count(*) AS n FROM measurements');
    await broker.stop();
    await sleep(OUTAGE_MS);
    const during = ems.map((e) => localCounts(join(e.dataDir, 'uplink.sqlite')).points);
    for (let i = 0; i < ems.length; i++) expect(during[i]!, `${ems[i]!.site} kept recording while the broker was down`).toBeGreaterThan(before[i]! + 100);
    // Nothing can have arrived meanwhile (beyond what was already on its way at the stop).
    expect(await pgCount('SELECT count(*) AS n FROM measurements')).toBeLessThan(pgBefore + 2_000);
    await broker.start();
    for (const e of ems) expect(e.proc.child.exitCode, `${e.site} survived the outage`).toBeNull();

    // The collector is killed mid-stream and restarted: its persistent session keeps what came meanwhile.
    await sleep(8_000);
    collector!.child.kill('SIGKILL');
    await collector!.exited;
    await sleep(5_000);
    collector = await spawnUntil(collectorArgs(), 'ready\n', 60_000);
    await sleep(5_000);

    // The EMS stop (each ends nothing: its run ended during the outage) and send what is left.
    for (const e of ems) e.proc.child.kill('SIGTERM');
    for (const e of ems) expect(await e.proc.exited, e.proc.out.stderr).toBe(0);

    for (const e of ems) {
      const local = localCounts(join(e.dataDir, 'uplink.sqlite'));
      expect(local.points).toBeGreaterThan(1_000);
      // The collector catches up with what the broker acknowledged (the outbox says what that is).
      const until = Date.now() + 60_000;
      let central = 0;
      while ((central = await pgCount('SELECT count(*) AS n FROM measurements WHERE site_id = $1', [e.site])) < local.points && Date.now() < until) await sleep(500);
      expect(central, `${e.site}: rows in PostgreSQL = rows in its SQLite outbox`).toBe(local.points);
      const bySeries = new Map((await db.query<{ series: string; n: string }>('SELECT series, count(*) AS n FROM measurements WHERE site_id = $1 GROUP BY series', [e.site])).rows.map((r) => [r.series, Number(r.n)]));
      expect(bySeries, `${e.site}: per series`).toEqual(local.bySeries);
      expect(await pgCount('SELECT count(*) AS n FROM events WHERE site_id = $1', [e.site]), `${e.site}: events`).toBe(local.events);
      expect(local.runs).toBeGreaterThanOrEqual(1);
      expect(await pgCount('SELECT count(*) AS n FROM runs WHERE site_id = $1', [e.site]), `${e.site}: runs`).toBe(local.runs);
      expect(await pgCount('SELECT count(*) AS n FROM runs WHERE site_id = $1 AND end_time IS NOT NULL', [e.site]), `${e.site}: runs ended`).toBe(local.runs);
      expect(await pgCount('SELECT count(*) AS n FROM kpis WHERE site_id = $1', [e.site]), `${e.site}: KPIs`).toBe(local.kpis);
      // Control never waited on the link: the run, most of it during the outage, held its target.
      const held = (await db.query<{ end_reason: string; within: number }>("SELECT r.end_reason, (k.kpis->'accuracy'->>'withinBandPct')::float8 AS within FROM runs r JOIN kpis k USING (site_id, run_id) WHERE r.site_id = $1", [e.site])).rows;
      expect(held, `${e.site}: the run and its KPIs`).toEqual([{ end_reason: 'duration-elapsed', within: expect.any(Number) }]);
      expect(held[0]!.within, `${e.site}: within band`).toBeGreaterThanOrEqual(80);
      // The outbox has nothing left to send: the broker acknowledged all of it.
      const ob = new Database(join(e.dataDir, 'uplink.sqlite'), { readonly: true });
      const acked = ob.prepare("SELECT seq FROM acked WHERE stream = 'measurements'").get() as { seq: number };
      const maxSeq = ob.prepare('SELECT max(seq) AS s FROM points').get() as { s: number };
      ob.close();
      expect(acked.seq).toBe(maxSeq.s);
      // A graceful stop said so on the retained status topic.
      expect((await db.query<{ state: string }>('SELECT state FROM sites WHERE site_id = $1', [e.site])).rows[0]?.state).toBe('offline');
    }
    const dups = await db.query('SELECT site_id, series, time, count(*) FROM measurements GROUP BY site_id, series, time HAVING count(*) > 1');
    expect(dups.rows).toEqual([]);
    const dupEvents = await db.query('SELECT site_id, outbox, seq FROM events GROUP BY site_id, outbox, seq HAVING count(*) > 1');
    expect(dupEvents.rows).toEqual([]);
    // The measurements are in day partitions.
    expect(await pgCount("SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'measurements'::regclass")).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
