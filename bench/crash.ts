/**
 * `npm run bench -- --only crash [--crash-kills N] [--crash-speed X] [--crash-seed S]`: how much history a
 * `kill -9` costs, per process kind. Each kind is started, a use-case-2 run is put in force, history
 * accumulates for a random 3–12 s (seeded), the process is killed with SIGKILL, and its durable history is
 * opened afterwards:
 * - `serve`: the core, data folder and SQLite history as `npm run serve` opens them (`openServeServices`;
 *   `bench/crash-serve-child.ts`, the console build left out) with the bundled simulator; the trigger goes
 *   over the WebSocket, and `core:getState` just before the kill says which breaker sample it had made.
 *   The history is read by SQL (`breaker.measuredKw`), checked with `PRAGMA integrity_check`, and the data
 *   folder is opened once more as the next start would: the run left in force must come back closed.
 * - `ems`: `npm run ems` (the CLI bundle, as the field runs it) against a rig-only lab rig in this process
 *   (OPC UA BESS). Its only durable history is the signed record (`record.jsonl`: measurements, setpoints,
 *   events); kpi.json / timeseries.csv / events.jsonl are written at a run's end and at a clean stop only.
 * - `lab`: `npm run lab -- … --out <dir>` (rig and EMS in one process), a request of the scenario in force
 *   at the window's start; its durable history is the same signed record.
 *
 * Measured per kill, on the simulated clock (samples every `breakerPeriodS`):
 * - `historyLostSimS` = the last breaker sample the process had produced (received) before the kill − the
 *   last one durably stored, simulated seconds; `historyLostOnKillS` = the same span in the process's real
 *   running time (÷ speed): the stores commit on the wall clock (SQLite at least every second, the record's
 *   measurements at most a second after they arrived), so this is what the field at 1× would lose. With a
 *   sample every `breakerPeriodS / speed` real seconds it includes up to one sample spacing beyond the
 *   commit interval (a lost sample's span reaches back to the stored one before it).
 * - `oldestLostAgeS`: real seconds between the arrival of the oldest lost sample and the kill, i.e. how far
 *   back the history is incomplete (the README's "a killed process loses at most the last second").
 * Target ≤ 1 s. The max over the kills is reported.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';
import { WebSocket } from 'ws';

import { Rng, streamSeed } from '../src-main/engine/random';
import { LabSession } from '../src-main/lab/lab-session';
import { loadProfileLibraryFromResources } from '../src-main/node/load-profiles';
import { resourcesDir } from '../src-main/node/paths';
import { loadScenarioFile } from '../src-main/node/scenario-file';
import { verifyRecordText } from '../src-main/record/verify';
import { openServeServices } from '../src-main/serve/main';
import type { LiveState } from '../src-main/shared/ipc-contract';
import { siteFileForRig } from '../src-main/site/rig-site';
import { writeSiteFile } from '../src-main/site/site-file';

type Row = Record<string, string | number | null>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIO = resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json');
/** The scenario's request (11:00–13:00 local) is in force here; the rig's window starts just before it. */
const RIG_START_MS = Date.parse('2026-06-21T10:58:00+02:00');
const LAB_FROM = '2026-06-21T11:30:00+02:00';
const TRIGGER = { useCase: 2, targetKw: -150, durationS: 7200, toleranceKw: 10 };

const flag = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Kill {
  lostSimS: number;
  lostS: number;
  oldestLostAgeS: number;
  samplesLost: number;
  storedSamples: number;
  integrity: string;
  afterRestart: string;
}

/** A child's stdout and stderr as they grow, and its exit. */
function watch(child: ChildProcess) {
  const io = { out: '', err: '' };
  child.stdout!.on('data', (b: Buffer) => (io.out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (io.err += b.toString()));
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(signal ?? String(code))));
  const waitFor = async (re: RegExp, timeoutMs: number): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(io.out);
      if (m) return m;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} from the child within ${timeoutMs} ms:\n${io.out}\n${io.err}`);
      await sleep(50);
    }
  };
  return { io, exited, waitFor };
}

/**
 * What a kill cost, on the simulated clock: `lastStoredMs` the newest durable breaker sample, `killSimMs`
 * the simulated instant of the kill, `delayMs` a sample's time from its timestamp to the process's hands,
 * `producedMs` (when known exactly) the newest sample the process had.
 */
function loss(o: { lastStoredMs: number; killSimMs: number; delayMs: number; periodMs: number; speed: number; producedMs?: number }): Pick<Kill, 'lostSimS' | 'lostS' | 'oldestLostAgeS' | 'samplesLost'> {
  const producedMs = o.producedMs ?? o.lastStoredMs + Math.max(0, Math.floor((o.killSimMs - o.delayMs - o.lastStoredMs) / o.periodMs)) * o.periodMs;
  const lostSimMs = Math.max(0, producedMs - o.lastStoredMs);
  const samplesLost = Math.round(lostSimMs / o.periodMs);
  const oldestLostArrivalMs = o.lastStoredMs + o.periodMs + o.delayMs;
  return {
    lostSimS: lostSimMs / 1000,
    lostS: lostSimMs / 1000 / o.speed,
    oldestLostAgeS: samplesLost > 0 ? Math.max(0, o.killSimMs - oldestLostArrivalMs) / 1000 / o.speed : 0,
    samplesLost,
  };
}

// ------------------------------------------------------------------------------------------------ serve

async function killServe(speed: number, delayMs: number, periodMs: number): Promise<Kill> {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-crash-serve-'));
  const token = randomBytes(18).toString('base64url');
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'bench/crash-serve-child.ts'), dir, String(speed)], { cwd: root, env: { ...process.env, LFC_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  const c = watch(child);
  try {
    const port = Number((await c.waitFor(/ready (\d+)/, 120_000))[1]);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    let nextId = 1;
    const waiting = new Map<number, (r: { ok: boolean; value?: unknown; error?: unknown }) => void>();
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: { ok: boolean } };
      if (typeof msg.id === 'number') waiting.get(msg.id)?.(msg.result!);
    });
    ws.on('error', () => undefined);
    const call = (channel: string, args: unknown[]) =>
      new Promise<{ ok: boolean; value?: unknown; error?: unknown }>((ok) => {
        const id = nextId++;
        waiting.set(id, ok);
        ws.send(JSON.stringify({ id, channel, args }));
      });
    const sent = await call('core:sendTrigger', [TRIGGER]);
    if (!sent.ok) throw new Error(`serve refused the trigger: ${JSON.stringify(sent.error)}`);
    await sleep(delayMs);
    // The newest sample it had made, and at once the kill (nothing runs in between on this side).
    const state = (await call('core:getState', [])).value as LiveState;
    child.kill('SIGKILL');
    const killSimMs = state.nowMs;
    if ((await c.exited) !== 'SIGKILL') throw new Error(`serve was not killed: ${c.io.err}`);
    ws.terminate();

    const db = new Database(join(dir, 'history', 'lfc-history.sqlite3'));
    const integrity = String(db.pragma('integrity_check', { simple: true }));
    const stored = db
      .prepare("SELECT max(p.time_ms) AS t, count(*) AS n FROM points p JOIN series s ON s.id = p.series_id WHERE s.name = 'breaker.measuredKw'")
      .get() as { t: number | null; n: number };
    const inForce = db.prepare('SELECT run_id FROM runs WHERE end_ms IS NULL').all() as Array<{ run_id: string }>;
    db.close();
    // The next start on this data folder: the run the killed process left in force comes back closed.
    const next = openServeServices(dir, resourcesDir(), { teeConsole: false });
    const runs = next.core.listRuns().filter((r) => inForce.some((x) => x.run_id === r.runId));
    next.close();
    return {
      ...loss({ lastStoredMs: stored.t ?? -Infinity, killSimMs, delayMs: 0, periodMs, speed, producedMs: state.breaker.sampleMs ?? -Infinity }),
      storedSamples: stored.n,
      integrity,
      afterRestart: inForce.length === 0 ? 'no run was in force in the history' : runs.map((r) => `${r.runId} ${r.endReason ?? 'still open'}`).join(', '),
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------- ems and lab

/** The measurements of a signed record that the file holds (a torn last line, as a kill may leave, skipped). */
function recordHistory(file: string): { rows: Array<[number, number, number]>; integrity: string } {
  const text = readFileSync(file, 'utf8');
  const rows: Array<[number, number, number]> = [];
  let torn = 0;
  const whole: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as { kind: string; data: { breaker?: { rows: Array<[number, number, number]> } } };
      whole.push(line);
      if (e.kind === 'measurements') rows.push(...e.data.breaker!.rows);
    } catch {
      torn++;
    }
  }
  const check = verifyRecordText(whole.join('\n') + '\n');
  return { rows, integrity: `${check.ok ? 'chain ok' : `chain broken: ${check.message}`}${torn ? `, ${torn} torn line(s)` : ''}` };
}

/** The typical time from a sample's timestamp to its arrival at the EMS, from the stored rows. */
function medianDelayMs(rows: Array<[number, number, number]>): number {
  const d = rows.map((r) => r[1] - r[0]).sort((a, b) => a - b);
  return d.length ? d[Math.floor(d.length / 2)]! : 0;
}

function fromRecord(file: string, killSimMs: number, periodMs: number, speed: number, afterRestart: string): Kill {
  const { rows, integrity } = recordHistory(file);
  const lastStoredMs = rows.length ? Math.max(...rows.map((r) => r[0])) : -Infinity;
  return { ...loss({ lastStoredMs, killSimMs, delayMs: medianDelayMs(rows), periodMs, speed }), storedSamples: rows.length, integrity, afterRestart };
}

async function postTrigger(url: string, token: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ ...TRIGGER, durationS: 3600 }) });
  if (res.status !== 202) throw new Error(`the intake answered ${res.status}: ${await res.text()}`);
}

async function killEms(lab: LabSession, sitePath: string, speed: number, delayMs: number, periodMs: number): Promise<Kill> {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-crash-ems-'));
  const child = spawn(process.execPath, [resolve(root, 'scripts/cli.mjs'), 'ems', '--site', sitePath, '--data-dir', dir, '--out', join(dir, 'out')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const c = watch(child);
  try {
    await c.waitFor(/^ready$/m, 120_000);
    const url = (await c.waitFor(/trigger intake: (http:\/\/127\.0\.0\.1:\d+\/v1\/triggers)/, 1000))[1]!;
    await postTrigger(url, readFileSync(join(dir, 'intake-token'), 'utf8').trim());
    await c.waitFor(/run-started/, 30_000);
    await sleep(delayMs);
    child.kill('SIGKILL');
    const killSimMs = lab.rig.simNowMs();
    if ((await c.exited) !== 'SIGKILL') throw new Error(`npm run ems was not killed: ${c.io.err}`);
    return fromRecord(join(dir, 'out', 'record.jsonl'), killSimMs, periodMs, speed, 'no history store: the next start runs no run (nothing resumed)');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function killLab(speed: number, delayMs: number, periodMs: number): Promise<Kill> {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-crash-lab-'));
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'src-main/cli/lab.ts'), SCENARIO, '--speed', String(speed), '--from', LAB_FROM, '--minutes', '90', '--out', dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const c = watch(child);
  try {
    const token = (await c.waitFor(/bearer token of the rig's services: (\S+)/, 120_000))[1]!;
    const platform = (await c.waitFor(/grid operator platform.*?(http:\/\/127\.0\.0\.1:\d+)/, 1000))[1]!;
    await c.waitFor(/run-started/, 30_000);
    await sleep(delayMs);
    // The rig's simulated clock (the lab's EMS follows it), read just before the kill.
    const t0 = performance.now();
    const clock = (await (await fetch(`${platform}/v1/clock`, { headers: { authorization: `Bearer ${token}` } })).json()) as { nowMs: number };
    child.kill('SIGKILL');
    const killSimMs = clock.nowMs + (performance.now() - t0) * speed;
    if ((await c.exited) !== 'SIGKILL') throw new Error(`npm run lab was not killed: ${c.io.err}`);
    return fromRecord(join(dir, 'record.jsonl'), killSimMs, periodMs, speed, 'no history store: the next start runs no run (nothing resumed)');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ----------------------------------------------------------------------------------------------- bench

function summary(kind: string, store: string, speed: number, kills: Kill[]): Row {
  const max = (f: (k: Kill) => number) => Math.max(...kills.map(f));
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    kind,
    store,
    speed,
    kills: kills.length,
    historyLostOnKillS: r2(max((k) => k.lostS)),
    historyLostSimS: r2(max((k) => k.lostSimS)),
    oldestLostAgeS: r2(max((k) => k.oldestLostAgeS)),
    samplesLostMax: max((k) => k.samplesLost),
    perKillLostS: kills.map((k) => r2(k.lostS)).join(' / '),
    storedSamples: kills.map((k) => k.storedSamples).join(' / '),
    integrity: [...new Set(kills.map((k) => k.integrity))].join('; '),
    afterRestart: [...new Set(kills.map((k) => k.afterRestart.replace(/\S+\/run-\d+/g, 'run')))].join('; '),
  };
}

export async function benchCrash(): Promise<Row[]> {
  const speed = flag('--crash-speed', 60);
  const killsPerKind = flag('--crash-kills', 3);
  const rng = new Rng(streamSeed(flag('--crash-seed', 1), 'crash-kill-moment'));
  const delayMs = () => 3000 + Math.floor(rng.next() * 9000);
  const loaded = await loadScenarioFile(SCENARIO);
  const periodMs = loaded.scenario.measurement.breakerPeriodS * 1000;
  const rows: Row[] = [];

  const serve: Kill[] = [];
  for (let i = 0; i < killsPerKind; i++) serve.push(await killServe(speed, delayMs(), periodMs));
  rows.push(summary('serve', 'SQLite history (WAL, synchronous=NORMAL, committed every second)', speed, serve));

  const dir = mkdtempSync(join(tmpdir(), 'lfc-crash-rig-'));
  const forecastJson = readFileSync(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  const lab = new LabSession(
    { ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) },
    { speed, windowStartMs: RIG_START_MS, windowEndMs: Date.parse(loaded.scenario.end), rigOnly: true },
  );
  try {
    await lab.start();
    const { site, secrets } = siteFileForRig(lab.rig);
    const sitePath = writeSiteFile(join(dir, 'rig-site.json'), site, secrets).sitePath;
    const ems: Kill[] = [];
    for (let i = 0; i < killsPerKind; i++) ems.push(await killEms(lab, sitePath, speed, delayMs(), periodMs));
    rows.push(summary('ems', 'signed record (record.jsonl: measurements, setpoints, events)', speed, ems));
  } finally {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const labKills: Kill[] = [];
  for (let i = 0; i < killsPerKind; i++) labKills.push(await killLab(speed, delayMs(), periodMs));
  rows.push(summary('lab', 'signed record (--out record.jsonl)', speed, labKills));
  return rows;
}
