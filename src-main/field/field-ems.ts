/**
 * The field EMS: `EmsRuntime` built from a site file (`site/site-file.ts`), with the real connectors (OPC UA
 * to the BESS, REST to the DSO platform and the vendor backends, the weather service), the HTTP trigger
 * intake, the signed record, and the replay's output files written for every run.
 *
 * It knows nothing of the lab: a lab rig is reached exactly as a site is, through the connector
 * configuration of the site file. The one concession is the clock: a site file with `clock: lab-rig`
 * makes the EMS follow the rig's simulated time (`GET /v1/clock` on the named endpoint, once at start;
 * both then run on the same wall clock at the rig's speed), because a rig replays a recorded day at N×.
 * At N > 1 the wire budgets of `lab-session.ts` apply (a real millisecond on the wire is N ms of EMS time).
 *
 * ## Files
 * - `<dataDir>/keys/`: the installation's signing key (created on first start, 0600);
 * - `<dataDir>/pki/`: the OPC UA client's PKI (own certificate, trusted and rejected server certificates),
 *   unless the site file names another;
 * - `<dataDir>/intake-token`: the bearer token of the trigger intake's first token, mode 0600, so that a
 *   script can read it (`curl -H "Authorization: Bearer $(cat …)"`) and nobody sees it on a terminal;
 * - `<outDir>/record.jsonl`: the tamper-evident record (`npm run verify-log`);
 * - `<outDir>/kpi.json`, `timeseries.csv`, `events.jsonl`: as a replay writes them (`SCENARIOS.md`),
 *   rewritten whole at each run's end and at stop, so a kill between two runs loses no finished run; they
 *   cover the newest `MAX_KEPT_SAMPLES` breaker samples (`breaker-window.ts`, ~11.5 days at 10 s) and the
 *   runs that ended in them (the record keeps everything).
 *   The field cannot know the plant's truth: `trueBreakerKw` is empty, `sensorStatus` is `received`, and
 *   a row exists only for a sample that arrived. The KPIs recompute from these files as from a replay's.
 *
 * - `<dataDir>/uplink.sqlite`: the fleet uplink's outbox (`uplink/`), when the site has an uplink: every
 *   sample, run, KPI and event sent to the fleet's broker, kept until the broker acknowledged it.
 *
 * ## Certificate trust
 * The OPC UA connector refuses a server certificate its PKI does not trust. The site file may vouch for
 * certificates by SHA-1 thumbprint (`opcua.trustedThumbprints`): such a certificate is trusted on first
 * contact and the record says so. Any other is refused, and the error names its thumbprint and subject so
 * the operator can check it against the device and add it (or trust it in the console).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadBessMapping } from '../connectors/opcua/mapping.js';
import { RestClient } from '../connectors/rest/http-client.js';
import { HttpTriggerIntake } from '../connectors/trigger-intake/trigger-intake.js';
import type { Clock } from '../engine/clock.js';
import type { RunRecord } from '../engine/engine.js';
import type { AssetReport, BreakerSample } from '../engine/model.js';
import { WallClock } from '../engine/wall-clock.js';
import { labAckTimeoutS, labModbusTiming, labOpcuaTiming } from '../lab/lab-session.js';
import { writeFileAtomic } from '../node/atomic-write.js';
import { resourcesDir } from '../node/paths.js';
import { loadOrCreateInstallationKey } from '../record/installation-key.js';
import { closeInterruptedRuns, type InterruptedRun } from '../record/interrupted-runs.js';
import { RecordLog } from '../record/record-log.js';
import { KPI_FORMAT, eventsJsonl, runSummary, timeseriesCsv } from '../replay/outputs.js';
import { engineConfigFor } from '../replay/replay.js';
import { EmsRuntime, type RuntimeEvent } from '../runtime/ems-runtime.js';
import { buildFieldConnectors, type BuiltConnectors } from '../runtime/field-connectors.js';
import { modbusConnectorFactory } from '../runtime/modbus-connectors.js';
import { opcuaConnectorFactory } from '../runtime/opcua-connectors.js';
import { memberIds } from '../sim/plant.js';
import type { LoadedSite } from '../site/site-file.js';
import { FieldUplink } from '../uplink/field-uplink.js';
import { resolveUplink } from '../uplink/uplink-config.js';
import { BreakerWindow } from './breaker-window.js';
import { sitePkiDir } from './site-connections.js';

export interface FieldEmsOptions {
  loaded: LoadedSite;
  /** Keys, PKI and the intake-token file. */
  dataDir: string;
  /** kpi.json, timeseries.csv, events.jsonl and record.jsonl. */
  outDir: string;
  appVersion: string;
  onEvent?: (e: RuntimeEvent) => void;
  onRunEnded?: (run: RunRecord) => void;
  /** Every breaker sample as the engine got it (the console's history). */
  onBreakerSample?: (sample: BreakerSample) => void;
  /** Every asset report as the engine got it (the console's data age per connection). */
  onAssetReport?: (report: AssetReport) => void;
  /** Real milliseconds (performance.now by default); for tests. */
  wallNowMs?: () => number;
  /** The fleet uplink's broker URL, overriding the site file's `uplink.url` (`npm run ems -- --uplink URL`). */
  uplinkUrl?: string;
  /** Uplink diagnostics (connected, lost, unreachable); default: the process's console. */
  onUplinkLog?: (message: string) => void;
}

/** A certificate decision of this EMS, for the print-out and the record. */
export interface OpcuaTrustDecision {
  endpointUrl: string;
  thumbprint: string;
  subject: string;
  trusted: boolean;
  reason: string;
}

/** The rig's answer at `GET /v1/clock`. */
interface RigClock {
  nowMs: number;
  speed: number;
}

export class FieldEms {
  ems: EmsRuntime | null = null;
  intake: HttpTriggerIntake | null = null;
  record: RecordLog | null = null;
  /** The EMS clock's speed against the wall (1 in the field, the rig's in the lab). */
  speed = 1;
  readonly trustDecisions: OpcuaTrustDecision[] = [];
  readonly intakeTokenPath: string;
  private built: BuiltConnectors | null = null;
  private clock: Clock | null = null;
  /** The breaker samples that arrived (the newest, see `BreakerWindow`): time, value, and the target in force. */
  private readonly breaker = new BreakerWindow();
  private stopping: Promise<RunRecord[]> | null = null;
  /** Runs the previous process left in force, closed at this start as `interrupted` (`closeInterruptedRuns`). */
  readonly interrupted: InterruptedRun[] = [];
  /** The fleet uplink (null: the site has none); it runs beside the control path, never in it. */
  uplink: FieldUplink | null = null;

  constructor(private readonly opts: FieldEmsOptions) {
    this.intakeTokenPath = join(opts.dataDir, 'intake-token');
  }

  get site() {
    return this.opts.loaded.site;
  }

  /** The OPC UA client's PKI folder (own certificate, trusted and refused server certificates). */
  get pkiDir(): string {
    return sitePkiDir(this.site, this.opts.dataDir);
  }

  /** The trigger intake's URL (after `start()`). */
  get intakeUrl(): string {
    if (!this.intake) throw new Error('FieldEms: not started');
    return this.intake.url;
  }

  /** Connects everything and opens the intake; throws (having let go of what it opened) when a part fails. */
  async start(): Promise<void> {
    const { site } = this.opts.loaded;
    // A bad uplink section (unreadable TLS file, missing password) stops the start before anything opens.
    const uplinkConfig = resolveUplink(site, this.opts.loaded.path, this.opts.loaded.secrets, this.opts.uplinkUrl);
    mkdirSync(this.opts.dataDir, { recursive: true });
    mkdirSync(this.opts.outDir, { recursive: true });
    const clock = await this.makeClock();
    this.clock = clock;
    const key = loadOrCreateInstallationKey(join(this.opts.dataDir, 'keys'));
    const installation = site.connectors.installation;
    this.record = new RecordLog({ file: join(this.opts.outDir, 'record.jsonl'), key, installation, nowMs: () => clock.nowMs() });
    try {
      if (uplinkConfig) {
        // Serve mode and the desktop app have no callback of their own: their log takes the console's output.
        const log = this.opts.onUplinkLog ?? ((m: string) => console.log(`[field] ${m}`));
        this.uplink = new FieldUplink({ dataDir: this.opts.dataDir, config: uplinkConfig, siteName: site.name, appVersion: this.opts.appVersion, log });
        this.uplink.start();
      }
      this.record.append('event', { type: 'ems-started', site: site.name, controller: site.controller, clock: site.clock.source, speed: this.speed, appVersion: this.opts.appVersion });
      await this.startEms(clock);
    } catch (err) {
      await this.stop().catch(() => {});
      throw err;
    }
  }

  private async startEms(clock: Clock): Promise<void> {
    const { site, secrets, path: sitePath } = this.opts.loaded;
    const engineConfig = engineConfigFor(site.plant, site.controller);
    if (this.speed > 1) engineConfig.safety = { ...engineConfig.safety, ackTimeoutS: labAckTimeoutS(this.speed) };
    const assets = site.plant.assets;
    const membersOf = (assetId: string) => {
      const a = assets.find((x) => x.id === assetId);
      return a ? memberIds(a.id, 'count' in a ? a.count : undefined) : [];
    };
    const mappingPath = site.opcua.mappingFile ? resolve(sitePath, '..', site.opcua.mappingFile) : resolve(resourcesDir(), 'opcua/sunspec-bess.json');
    const pkiDir = this.pkiDir;
    const speed = this.speed;
    const ems = new EmsRuntime({
      engineConfig,
      clock,
      speed,
      record: this.record!,
      endReasonOnStop: 'ems-stopped',
      onEvent: (e) => {
        this.uplink?.event(e);
        if (e.type === 'run-started' && this.ems?.engine.activeRun) this.uplink?.run(this.ems.engine.activeRun);
        this.opts.onEvent?.(e);
      },
      onRunEnded: (run) => {
        this.uplink?.run(run);
        this.opts.onRunEnded?.(run);
        this.writeOutputs();
      },
      onBreakerSample: (s) => {
        this.keepSample(s);
        if (this.ems) this.uplink?.sample(this.ems.engine, s);
        this.opts.onBreakerSample?.(s);
      },
      onAssetReport: (r) => this.opts.onAssetReport?.(r),
      connectors: async (ctx) => {
        const hasOpcua = site.connectors.assets.some((b) => b.via === 'opcua');
        const opcua = hasOpcua
          ? opcuaConnectorFactory({
              ctx,
              secrets,
              mapping: loadBessMapping(mappingPath),
              pkiDir,
              securityMode: site.opcua.securityMode,
              securityPolicy: site.opcua.securityPolicy,
              ...(speed > 1 ? { timing: labOpcuaTiming(speed) } : {}),
              trustServer: (c) => this.decideTrust(c),
            })
          : undefined;
        // Every OPC UA link uses the one PKI folder the console's Trust / Reject manage (`sitePkiDir`).
        const config = { ...site.connectors, assets: site.connectors.assets.map((b) => (b.via === 'opcua' && b.pkiDir !== undefined ? { ...b, pkiDir } : b)) };
        const modbus = site.connectors.assets.some((b) => b.via === 'modbus') ? modbusConnectorFactory({ ctx, ...(speed > 1 ? { timing: labModbusTiming(speed) } : {}) }) : undefined;
        this.built = await buildFieldConnectors({ config, secrets, ctx, membersOf, breakerPeriodS: site.plant.measurement.breakerPeriodS, ...(opcua ? { opcua } : {}), ...(modbus ? { modbus } : {}) });
        return this.built.connectors;
      },
    });
    this.ems = ems;
    this.closeInterruptedRuns(ems.engine.safety.settleAllowanceS);
    await ems.start();
    const intakeCfg = site.connectors.triggerIntake;
    const tokens = Object.fromEntries(intakeCfg.tokens.map((t) => [t.name, secrets(t.secret)!]));
    this.intake = new HttpTriggerIntake(ems, {
      host: intakeCfg.host,
      port: intakeCfg.port,
      tokens,
      allowedRemotes: intakeCfg.allowedRemotes,
      onRecord: (r) => {
        if (r.status !== 202) this.record?.append('trigger-refused', { request: r.request, source: r.source, status: r.status, answer: r.answer });
      },
    });
    await this.intake.start();
    // Only its owner may read it, whatever the umask.
    writeFileAtomic(this.intakeTokenPath, tokens[intakeCfg.tokens[0]!.name]! + '\n', 0o600);
  }

  /**
   * Closes the runs a killed process left in force, from the record it left (verified when it was opened:
   * a broken one stops the start): each gets its `run-ended` entry (`interrupted`, at its last recorded
   * sample, KPIs from the record's samples; see `record/interrupted-runs.ts`) and its place in the output
   * files, written now and with every later run.
   */
  private closeInterruptedRuns(settleAllowanceS: number): void {
    const found = closeInterruptedRuns(this.record!, { breakerPeriodS: this.site.plant.measurement.breakerPeriodS, settleAllowanceS, controller: this.site.controller });
    for (const r of found) {
      this.interrupted.push(r);
      this.uplink?.run(r.run);
      this.opts.onEvent?.({ ...r.events.at(-1)!, source: 'engine' });
    }
    if (found.length > 0) this.writeOutputs();
  }

  /** `system`: the wall clock. `lab-rig`: the rig's simulated time and speed, read once over the wire. */
  private async makeClock(): Promise<Clock> {
    const wallNow = this.opts.wallNowMs ?? (() => performance.now());
    const timers = { now: wallNow, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    const { site, secrets } = this.opts.loaded;
    if (site.clock.source === 'system') {
      this.speed = 1;
      return wholeMs(new WallClock(timers, 1, Date.now()));
    }
    const e = site.connectors.endpoints[site.clock.endpoint]!;
    const token = e.tokenSecret ? secrets(e.tokenSecret) : undefined;
    const client = new RestClient({ name: `${site.clock.endpoint} (lab clock)`, baseUrl: e.baseUrl, timeoutMs: e.timeoutMs, retry: e.retry, ...(token ? { bearerToken: token } : {}) });
    try {
      const t0 = wallNow();
      const res = await client.request('GET', '/v1/clock');
      const t1 = wallNow();
      const body = res.body as Partial<RigClock>;
      if (!(typeof body.nowMs === 'number' && Number.isFinite(body.nowMs) && typeof body.speed === 'number' && body.speed > 0)) {
        throw new Error(`the lab clock at ${e.baseUrl}/v1/clock answered ${JSON.stringify(res.body)}, not {nowMs, speed}`);
      }
      this.speed = body.speed;
      // The answer is about halfway through the round trip.
      return wholeMs(new WallClock(timers, body.speed, body.nowMs + ((t1 - t0) / 2) * body.speed));
    } finally {
      client.close();
    }
  }

  private decideTrust(c: { endpointUrl: string; thumbprint: string; subject: string }): boolean {
    const vouched = this.site.opcua.trustedThumbprints.some((t) => t.toLowerCase() === c.thumbprint.toLowerCase());
    const reason = vouched ? 'its SHA-1 thumbprint is in the site file ($.opcua.trustedThumbprints)' : 'not trusted by the PKI and not vouched for in the site file; check the thumbprint on the device, then add it to $.opcua.trustedThumbprints';
    const d: OpcuaTrustDecision = { ...c, trusted: vouched, reason };
    this.trustDecisions.push(d);
    this.record?.append('event', { type: vouched ? 'opcua-certificate-accepted' : 'opcua-certificate-refused', ...d });
    return vouched;
  }

  private keepSample(s: BreakerSample): void {
    const ems = this.ems;
    if (!ems) return;
    const target = ems.engine.targetKwAt(s.sampleMs);
    const runId = ems.engine.activeRun?.runId ?? null;
    this.breaker.push(s.sampleMs, s.powerKw, target ?? NaN, runId, runId);
  }

  /** Runs with an end (their KPIs final or final up to now), as kpi.json's entries. */
  private kpiDocument() {
    const site = this.site;
    return {
      format: KPI_FORMAT,
      source: 'field',
      site: site.name,
      installation: site.connectors.installation,
      controller: site.controller,
      breakerPeriodS: site.plant.measurement.breakerPeriodS,
      generator: { app: 'local-flex-controller', version: this.opts.appVersion },
      runs: this.endedRuns().map(runSummary),
    };
  }

  /** The interrupted runs closed at start, then this process's runs that ended inside the breaker window. */
  private endedRuns(): RunRecord[] {
    return [...this.interrupted.map((r) => r.run), ...(this.ems?.engine.runs ?? []).filter((r) => r.endMs !== null && this.breaker.keeps(r.endMs))];
  }

  /** Writes the three output files, each atomically (a reader never sees half a file). */
  writeOutputs(): void {
    const ems = this.ems;
    if (!ems) return;
    // An interrupted run's rows are its recorded samples (the record keeps what the run took, not what was sent).
    const before = this.interrupted.map((r) => r.run);
    const col = <T>(pick: (run: RunRecord) => T[], own: T[]): T[] => [...before.flatMap(pick), ...own];
    const b = this.breaker;
    const sampleMs = col((r) => r.samples.sampleTimeMs, b.sampleMs);
    const n = sampleMs.length;
    const csv = timeseriesCsv({
      breaker: {
        sampleMs: Float64Array.from(sampleMs),
        sentKw: Float64Array.from(col((r) => r.samples.measuredKw, b.powerKw)),
        trueKw: new Float64Array(n).fill(NaN),
        status: new Array<string>(n).fill('received'),
        targetKw: Float64Array.from(col((r) => r.samples.targetKw, b.targetKw)),
        runId: col((r) => r.samples.sampleTimeMs.map(() => r.runId), b.runId),
      },
      runs: this.endedRuns(),
      assetColumns: [],
    });
    const engineEvents = [...this.interrupted.flatMap((r) => r.events), ...ems.events.flatMap((e) => (e.source === 'engine' ? [e] : []))];
    writeFileAtomic(join(this.opts.outDir, 'kpi.json'), JSON.stringify(this.kpiDocument(), null, 2) + '\n', 0o644);
    writeFileAtomic(join(this.opts.outDir, 'timeseries.csv'), csv, 0o644);
    writeFileAtomic(join(this.opts.outDir, 'events.jsonl'), eventsJsonl(engineEvents), 0o644);
  }

  /** Ends a run in force (`ems-stopped`), releases the assets, writes the outputs and closes everything. */
  stop(): Promise<RunRecord[]> {
    this.stopping ??= (async () => {
      await this.intake?.stop();
      const runs = this.ems ? await this.ems.stop(async () => this.built?.close()) : [];
      if (this.ems) this.writeOutputs();
      this.record?.close();
      for (const r of runs) this.uplink?.run(r);
      await this.uplink?.stop();
      return runs;
    })();
    return this.stopping;
  }

  /** The EMS clock now (ms since the epoch; the rig's simulated time with `clock: lab-rig`). */
  nowMs(): number {
    if (!this.clock) throw new Error('FieldEms: not started');
    return this.clock.nowMs();
  }
}

/**
 * The wall clock in whole milliseconds: every time the engine stamps (a trigger's arrival, a run's start
 * and end) is then exactly what kpi.json and timeseries.csv store as ISO times, so the KPIs recompute from
 * the files to the last digit, as a replay's do.
 */
function wholeMs(clock: Clock): Clock {
  return { nowMs: () => Math.floor(clock.nowMs()), schedule: (atMs, fn) => clock.schedule(atMs, fn) };
}
