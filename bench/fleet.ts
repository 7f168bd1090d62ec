/**
 * Fleet uplink benchmark, with a real Mosquitto and a real PostgreSQL (started like the tests do, on free
 * loopback ports in temporary folders):
 *
 * - collector ingest: measurement messages of 5,000 points (250 series × 20 s) decoded and written into
 *   PostgreSQL by the collector's writer, one transaction per message, as the collector does — points/s
 *   (target ≥ 50,000), and again for the same messages resent (idempotent: 0 rows inserted);
 * - backlog drain: one hour of one site (250 series at 1 Hz = 900,000 points) waiting in an EMS's outbox,
 *   then the link comes up: seconds until the broker acknowledged everything and until PostgreSQL holds all
 *   900,000 rows (counted by SQL) through the running collector (target < 60 s), at the default backlog
 *   rate limit (30,000 points/s) and at 100,000 points/s.
 *
 * Run alone with `npx tsx bench/fleet.ts`, or `npm run bench -- --only fleet`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { FleetCollector } from '../src-main/fleet/collector';
import { FleetStore } from '../src-main/fleet/fleet-store';
import { decodeMessage, encodeMeasurements, topicFor, type UplinkPoint } from '../src-main/uplink/codec';
import { UplinkOutbox } from '../src-main/uplink/outbox';
import { UplinkPublisher } from '../src-main/uplink/publisher';
import { MOSQUITTO_MISSING, MosquittoBroker, mosquittoBinary } from '../test/fixtures/services/mosquitto';
import { POSTGRES_MISSING, PostgresCluster, postgresBinDir } from '../test/fixtures/services/postgres';

type Row = Record<string, string | number | null>;

const SERIES = 250;
const START_MS = Date.UTC(2026, 5, 21, 10);

function seriesIds(): string[] {
  const ids = ['breaker.measuredKw', 'breaker.targetKw', 'bess.powerKw', 'bess.socPct', 'bess.setpointKw'];
  for (let i = 0; ids.length < SERIES; i++) ids.push(`hs-${String(i).padStart(3, '0')}.${['powerKw', 'socPct', 'setpointKw'][i % 3]}`);
  return ids;
}

/** `seconds` seconds of all series at 1 Hz, from `startMs`, seq from `seq0`. */
function points(startMs: number, seconds: number, seq0: number): UplinkPoint[] {
  const ids = seriesIds();
  const out: UplinkPoint[] = [];
  let seq = seq0;
  for (let s = 0; s < seconds; s++) for (const id of ids) out.push({ seq: ++seq, seriesId: id, timeMs: startMs + s * 1000, value: Math.sin(seq / 97) * 200 });
  return out;
}

async function count(pgUrl: string, sql: string): Promise<number> {
  const c = new pg.Client(pgUrl);
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function benchIngest(pgUrl: string): Promise<Row[]> {
  const store = new FleetStore(pgUrl);
  await store.migrate();
  const MESSAGES = 200; // 1,000,000 points
  const msgs = [];
  for (let m = 0; m < MESSAGES; m++) {
    const pts = points(START_MS + 86_400_000 + m * 20_000, 20, m * 5000);
    msgs.push(JSON.stringify(encodeMeasurements('bench-ingest', 'outbox-1', pts)));
  }
  const topic = topicFor('bench-ingest', 'measurements');
  const rows: Row[] = [];
  for (const pass of ['first', 'resent'] as const) {
    let inserted = 0;
    let received = 0;
    const t0 = performance.now();
    for (const text of msgs) {
      const r = await store.write(decodeMessage(topic, text));
      inserted += r.inserted;
      received += r.received;
    }
    const s = (performance.now() - t0) / 1000;
    rows.push({ case: `collector ingest, ${pass === 'first' ? 'new points' : 'the same messages resent'}`, points: received, inserted, brokerAckedS: null, seconds: s, pointsPerS: Math.round(received / s), rowsInPostgres: null, duplicates: null, target: '≥ 50,000/s' });
  }
  await store.close();
  const n = await count(pgUrl, "SELECT count(*) AS n FROM measurements WHERE site_id = 'bench-ingest'");
  const dup = await count(pgUrl, "SELECT count(*) AS n FROM (SELECT 1 FROM measurements WHERE site_id = 'bench-ingest' GROUP BY series, time HAVING count(*) > 1) d");
  rows[rows.length - 1]!.rowsInPostgres = n;
  rows[rows.length - 1]!.duplicates = dup;
  return rows;
}

async function benchDrain(broker: MosquittoBroker, pgUrl: string, maxPointsPerS: number, site: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-bench-outbox-'));
  const outbox = new UplinkOutbox(join(dir, 'uplink.sqlite'));
  const hour = points(START_MS, 3600, 0);
  for (const p of hour) outbox.appendPoint(p.seriesId, p.timeMs, p.value);
  outbox.flush();
  const collector = new FleetCollector({ mqttUrl: broker.url, postgresUrl: pgUrl, clientId: `bench-collector-${site}` });
  await collector.start();
  const publisher = new UplinkPublisher(outbox, { url: broker.url, siteId: site, maxPointsPerS }, { name: site, appVersion: 'bench' });
  const t0 = performance.now();
  publisher.start();
  let ackedS: number | null = null;
  let inPgS: number | null = null;
  const deadline = t0 + 180_000;
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    if (ackedS === null && publisher.drained()) ackedS = (performance.now() - t0) / 1000;
    if (collector.stats.points >= hour.length) {
      inPgS = (performance.now() - t0) / 1000;
      break;
    }
  }
  await publisher.stop(0);
  await collector.stop();
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
  const n = await count(pgUrl, `SELECT count(*) AS n FROM measurements WHERE site_id = '${site}'`);
  const dup = await count(pgUrl, `SELECT count(*) AS n FROM (SELECT 1 FROM measurements WHERE site_id = '${site}' GROUP BY series, time HAVING count(*) > 1) d`);
  return {
    case: `backlog drain, 1 h of one site, rate limit ${maxPointsPerS}/s`,
    points: hour.length,
    inserted: null,
    brokerAckedS: ackedS,
    seconds: inPgS,
    pointsPerS: inPgS ? Math.round(hour.length / inPgS) : null,
    rowsInPostgres: n,
    duplicates: dup,
    target: '< 60 s',
  };
}

export async function benchFleet(): Promise<Row[]> {
  if (!mosquittoBinary()) return [{ skipped: MOSQUITTO_MISSING }];
  if (!postgresBinDir()) return [{ skipped: POSTGRES_MISSING }];
  const broker = await MosquittoBroker.start();
  const cluster = await PostgresCluster.start();
  try {
    const rows: Row[] = [...(await benchIngest(cluster.url()))];
    rows.push(await benchDrain(broker, cluster.url(), 30_000, 'bench-drain-30k'));
    rows.push(await benchDrain(broker, cluster.url(), 100_000, 'bench-drain-100k'));
    return rows;
  } finally {
    await broker.dispose();
    await cluster.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchFleet().then(
    (rows) => {
      for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
    },
    (err) => {
      process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
      process.exit(1);
    },
  );
}
