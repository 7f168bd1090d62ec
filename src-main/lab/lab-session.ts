/**
 * A lab session: the rig, plus (unless rig-only) a headless EMS — `EmsRuntime` with the real connectors,
 * built from the rig's connector configuration and reaching it over loopback exactly as in the field (the
 * BESS over OPC UA, SignAndEncrypt / Basic256Sha256 with a user login; the breaker, the vendor clouds and
 * the weather over HTTP) — and the EMS's HTTP trigger intake, to which the scenario's triggers are posted
 * when they fall due.
 *
 * Trust: the EMS's OPC UA connector refuses a server certificate it does not know. The lab started the
 * server itself, so it accepts that one certificate explicitly — only if its thumbprint is the one of the
 * server it started — and says so (`opcuaTrust`, the record, the CLI print-out). With a kept `pkiDir` the
 * second run finds it trusted already.
 *
 * ## Speed
 * At N× a real millisecond on the wire is N ms of EMS time. The lab keeps every field timing in EMS time and
 * adds the lab's real-time wire budget (`LAB_WIRE_BUDGET_MS`) where a wire is waited for; see
 * `labOpcuaTiming` for the OPC UA link.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { loadBessMapping } from '../connectors/opcua/mapping.js';
import { RestClient, RestError } from '../connectors/rest/http-client.js';
import { HttpTriggerIntake, type TriggerAnswer } from '../connectors/trigger-intake/trigger-intake.js';
import type { RunRecord } from '../engine/engine.js';
import type { ControllerName } from '../engine/controllers.js';
import type { ScenarioEvent } from '../engine/scenario/index.js';
import type { Clock } from '../engine/clock.js';
import { WallClock } from '../engine/wall-clock.js';
import { loadOrCreateInstallationKey } from '../record/installation-key.js';
import { resourcesDir } from '../node/paths.js';
import { closeInterruptedRuns, type InterruptedRun } from '../record/interrupted-runs.js';
import { RecordLog } from '../record/record-log.js';
import { engineConfigFor } from '../replay/replay.js';
import { EmsRuntime, type RuntimeEvent } from '../runtime/ems-runtime.js';
import { buildFieldConnectors, type BuiltConnectors } from '../runtime/field-connectors.js';
import { modbusConnectorFactory, type ModbusTiming } from '../runtime/modbus-connectors.js';
import { opcuaConnectorFactory, type OpcuaTiming } from '../runtime/opcua-connectors.js';
import { BESS_TELEMETRY_PERIOD_S } from '../sim/field.js';
import { memberIds } from '../sim/plant.js';
import { LabRig, type LabEndpoint, type LabRigInputs, type LabRigOptions } from './rig.js';

/** Real milliseconds a write may spend on the wire before the lab's EMS counts it as unacknowledged. */
export const LAB_WIRE_BUDGET_MS = 500;

/**
 * The OPC UA link's timings at lab speed N (the connector's field defaults at N = 1, about):
 * - sampling and publishing (real ms, server side): half the real period at which the rig publishes the
 *   BESS (1 s of simulated time = 1000/N ms), within [50, 500] ms — 50 ms is node-opcua's floor, so above
 *   10× the EMS sees every ⌈N/20⌉-th BESS sample (the engine needs the latest one, not all of them);
 * - heartbeat (EMS ms): every max(2 s, N × 250 ms) — at most four heartbeats per real second;
 * - revert timeout (device s): 10 s + one heartbeat period + N × the wire budget, so neither a late
 *   heartbeat nor a slow round trip lets a setpoint lapse between two 10 s BESS cycles; the connector caps
 *   it by each command's own expiry (60 s after issue), so the battery still reverts at most a minute after
 *   the EMS falls silent. Above about 64× that cap is what holds (12.5 s at 1×, 32.5 s at 30×, 55 s at 60×);
 *   the BESS loop still renews the setpoint every 10 s, well inside it;
 * - write timeout (EMS ms): 4 s + N × the wire budget, just under the engine's acknowledgement timeout
 *   (5 s + N × the wire budget), so the connector gives up first and never acknowledges late.
 */
export function labOpcuaTiming(speed: number): Required<Pick<OpcuaTiming, 'samplingIntervalMs' | 'publishingIntervalMs' | 'heartbeatPeriodMs' | 'revertS' | 'writeTimeoutMs'>> {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`labOpcuaTiming: speed must be a positive number, got ${speed}`);
  const wireS = (LAB_WIRE_BUDGET_MS / 1000) * speed;
  const publicationWallMs = (BESS_TELEMETRY_PERIOD_S * 1000) / speed;
  const samplingIntervalMs = Math.round(Math.min(500, Math.max(50, publicationWallMs / 2)));
  const heartbeatS = Math.max(2, 0.25 * speed);
  return {
    samplingIntervalMs,
    publishingIntervalMs: samplingIntervalMs,
    heartbeatPeriodMs: heartbeatS * 1000,
    revertS: 10 + heartbeatS + wireS,
    writeTimeoutMs: (4 + wireS) * 1000,
  };
}

/**
 * The Modbus link's timings in the lab at `speed`: polls as often as the BESS publishes (real ms, ≥ 20), an
 * answer timeout of the real-time wire budget, reconnection as fast in simulated time as in the field, the heartbeat and the device's reversion time in simulated
 * time, scaled like the OPC UA link's so that the wire's real milliseconds never make the device revert.
 */
export function labModbusTiming(speed: number): Required<Pick<ModbusTiming, 'pollMs' | 'timeoutMs' | 'revertS' | 'heartbeatPeriodMs' | 'reconnect'>> {
  const t = labOpcuaTiming(speed);
  return {
    pollMs: Math.max(20, Math.round((BESS_TELEMETRY_PERIOD_S * 1000) / speed)),
    timeoutMs: LAB_WIRE_BUDGET_MS,
    // The field's backoff (0.5 → 10 s) in simulated time: at 60× a real 10 s would be a 10-minute blackout.
    reconnect: { initialDelayMs: Math.max(50, 500 / speed), maxDelayMs: Math.max(200, 10_000 / speed) },
    heartbeatPeriodMs: Math.max(5000, t.heartbeatPeriodMs),
    revertS: Math.ceil(Math.max(30, 10 + 2 * Math.max(5, t.heartbeatPeriodMs / 1000) + (LAB_WIRE_BUDGET_MS / 1000) * speed)),
  };
}

/** The engine's acknowledgement timeout in the lab: its 5 s of EMS time plus the real-time wire budget. */
export function labAckTimeoutS(speed: number): number {
  return 5 + (LAB_WIRE_BUDGET_MS / 1000) * speed;
}

/** How the lab came to trust the certificate of its own OPC UA server. */
export interface LabOpcuaTrust {
  endpointUrl: string;
  thumbprint: string;
  /** `accepted`: seen for the first time and accepted by the lab; `already-trusted`: from an earlier run (kept `pkiDir`). */
  decision: 'accepted' | 'already-trusted';
}

export interface LabSessionOptions extends Omit<LabRigOptions, 'onScenarioEvent'> {
  rigOnly?: boolean;
  controller?: ControllerName;
  /** Folder for the tamper-evident record (`record.jsonl`); none when absent. */
  recordDir?: string;
  /** Folder of the installation key (default: `<recordDir>/keys`). */
  keyDir?: string;
  onEvent?: (e: RuntimeEvent) => void;
}

export interface PostedTrigger {
  index: number;
  atMs: number;
  status: number;
  answer: TriggerAnswer | { error: string };
}

/** The body the operator's system would post for a scenario event. */
export function triggerRequestFor(e: ScenarioEvent): Record<string, unknown> {
  const body: Record<string, unknown> = { useCase: e.useCase };
  if ('targetKw' in e && e.targetKw !== undefined) body.targetKw = e.targetKw;
  if ('durationS' in e && e.durationS !== undefined) body.durationS = e.durationS;
  if ('toleranceKw' in e && e.toleranceKw !== undefined) body.toleranceKw = e.toleranceKw;
  if ('schedule' in e && e.schedule) body.schedule = e.schedule;
  if (e.startAt !== undefined) body.startAt = e.startAt;
  return body;
}

/**
 * The EMS's clock in the lab: it stands at the window's start until the simulation starts, then runs as the
 * wall clock at N× from the rig's own anchor, so the EMS and the rig agree on simulated time. What the EMS
 * schedules before that waits for the start.
 */
export class LabEmsClock implements Clock {
  private wall: WallClock | null = null;
  private pending: Array<{ atMs: number; fn: () => void; cancel: (() => void) | null; cancelled: boolean }> = [];

  constructor(
    private readonly startMs: number,
    private readonly speed: number,
    private readonly wallTimers: ConstructorParameters<typeof WallClock>[0],
  ) {}

  nowMs(): number {
    return this.wall ? this.wall.nowMs() : this.startMs;
  }

  schedule(atMs: number, fn: () => void): () => void {
    if (this.wall) return this.wall.schedule(atMs, fn);
    const item = { atMs, fn, cancel: null as (() => void) | null, cancelled: false };
    this.pending.push(item);
    return () => {
      item.cancelled = true;
      item.cancel?.();
    };
  }

  /** Starts the clock at the rig's anchor (`LabRig.startSimulation()`'s answer). */
  start(anchor: { wall0: number; sim0: number }): void {
    if (this.wall) throw new Error('LabEmsClock: already started');
    const wall = new WallClock(this.wallTimers, this.speed, anchor.sim0 + (this.wallTimers.now() - anchor.wall0) * this.speed);
    this.wall = wall;
    for (const p of this.pending) if (!p.cancelled) p.cancel = wall.schedule(p.atMs, p.fn);
    this.pending = [];
  }
}

export class LabSession {
  readonly rig: LabRig;
  ems: EmsRuntime | null = null;
  intake: HttpTriggerIntake | null = null;
  readonly intakeToken = randomBytes(18).toString('base64url');
  readonly posted: PostedTrigger[] = [];
  record: RecordLog | null = null;
  /** Runs an earlier lab process on the same record left in force, closed at this start as `interrupted`. */
  interrupted: InterruptedRun[] = [];
  /** The OPC UA trust decision of this session (BESS over OPC UA, once started). */
  opcuaTrust: LabOpcuaTrust | null = null;
  private built: BuiltConnectors | null = null;
  /** The operator's side of the trigger intake: the rig posts the scenario's triggers with it. */
  private operator: RestClient | null = null;
  private pending: Array<Promise<void>> = [];
  private runs: RunRecord[] | null = null;

  constructor(
    private readonly inputs: LabRigInputs,
    private readonly opts: LabSessionOptions,
  ) {
    this.rig = new LabRig(inputs, { ...opts, onScenarioEvent: (e, i, atMs) => this.postTrigger(e, i, atMs) });
  }

  /**
   * Starts the rig's servers, then the EMS (it connects while simulated time stands still at the window's
   * start: an OPC UA session takes a second or so, half a simulated minute at 30×), then the simulation.
   */
  async start(): Promise<void> {
    const rig = this.rig;
    await rig.startServers();
    if (this.opts.rigOnly) {
      rig.startSimulation();
      return;
    }
    const clock = new LabEmsClock(rig.plant.startMs, rig.speed, {
      now: this.opts.wallNowMs ?? (() => performance.now()),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    });
    const { config, secrets } = rig.connectorConfig();
    const allSecrets: Record<string, string> = { ...secrets, INTAKE_TOKEN: this.intakeToken };
    if (this.opts.recordDir) {
      const key = loadOrCreateInstallationKey(this.opts.keyDir ?? join(this.opts.recordDir, 'keys'));
      this.record = new RecordLog({ file: join(this.opts.recordDir, 'record.jsonl'), key, installation: config.installation, nowMs: () => clock.nowMs() });
    }
    const scenario = rig.scenario;
    const engineConfig = engineConfigFor(scenario, this.opts.controller ?? 'lfc');
    // At N× a real millisecond on the wire is N ms of EMS time: the acknowledgement timeout keeps its 5 s of
    // EMS time, plus LAB_WIRE_BUDGET_MS of real time, so loopback HTTP at 30× is not mistaken for a dead asset.
    engineConfig.safety = { ...engineConfig.safety, ackTimeoutS: labAckTimeoutS(rig.speed) };
    const membersOf = (assetId: string) => {
      const a = scenario.assets.find((x) => x.id === assetId);
      return a ? memberIds(a.id, 'count' in a ? a.count : undefined) : [];
    };
    const ems = new EmsRuntime({
      engineConfig,
      clock,
      speed: rig.speed,
      ...(this.record ? { record: this.record } : {}),
      ...(this.opts.onEvent ? { onEvent: this.opts.onEvent } : {}),
      connectors: async (ctx) => {
        const secrets = (n: string) => allSecrets[n];
        const opcua =
          rig.bessVia === 'opcua'
            ? opcuaConnectorFactory({
                ctx,
                secrets,
                mapping: loadBessMapping(resolve(resourcesDir(), 'opcua/sunspec-bess.json')),
                pkiDir: rig.emsPkiDir,
                securityMode: 'SignAndEncrypt',
                securityPolicy: 'Basic256Sha256',
                timing: labOpcuaTiming(rig.speed),
                trustServer: (c) => this.trustRigServer(c.endpointUrl, c.thumbprint),
              })
            : undefined;
        const modbus = rig.bessVia === 'modbus' ? modbusConnectorFactory({ ctx, timing: labModbusTiming(rig.speed) }) : undefined;
        this.built = await buildFieldConnectors({ config, secrets, ctx, membersOf, breakerPeriodS: scenario.measurement.breakerPeriodS, ...(opcua ? { opcua } : {}), ...(modbus ? { modbus } : {}) });
        if (rig.bessOpcua && !this.opcuaTrust) this.opcuaTrust = { endpointUrl: rig.bessOpcua.endpointUrl, thumbprint: rig.bessOpcua.certificateThumbprint, decision: 'already-trusted' };
        return this.built.connectors;
      },
    });
    this.ems = ems;
    if (this.record) this.interrupted = closeInterruptedRuns(this.record, { breakerPeriodS: scenario.measurement.breakerPeriodS, settleAllowanceS: ems.engine.safety.settleAllowanceS, controller: this.opts.controller ?? 'lfc' });
    await ems.start();
    this.intake = new HttpTriggerIntake(ems, {
      host: config.triggerIntake.host,
      port: config.triggerIntake.port,
      tokens: Object.fromEntries(config.triggerIntake.tokens.map((t) => [t.name, allSecrets[t.secret]!])),
      allowedRemotes: config.triggerIntake.allowedRemotes,
      onRecord: (r) => {
        if (r.status !== 202) this.record?.append('trigger-refused', { request: r.request, source: r.source, status: r.status, answer: r.answer });
      },
    });
    await this.intake.start();
    clock.start(rig.startSimulation());
  }

  /**
   * The lab started the OPC UA server, so it knows the certificate the EMS is shown: it accepts exactly
   * that one (trust on first use, made explicit), and refuses anything else.
   */
  private trustRigServer(endpointUrl: string, thumbprint: string): boolean {
    const server = this.rig.bessOpcua;
    const ours = server !== null && server.endpointUrl === endpointUrl && server.certificateThumbprint === thumbprint;
    this.record?.append('event', { type: ours ? 'opcua-certificate-accepted' : 'opcua-certificate-refused', endpointUrl, thumbprint, reason: ours ? 'the lab started this server' : 'not the certificate of the server the lab started' });
    if (ours) this.opcuaTrust = { endpointUrl, thumbprint, decision: 'accepted' };
    return ours;
  }

  endpoints(): LabEndpoint[] {
    const list = this.rig.endpoints();
    if (this.intake) list.push({ role: 'EMS trigger intake (I-01)', url: this.intake.url, detail: 'POST, Authorization: Bearer <token>' });
    return list;
  }

  private postTrigger(e: ScenarioEvent, index: number, atMs: number): void {
    if (!this.intake) return;
    const client = (this.operator ??= new RestClient({ name: 'operator system', baseUrl: this.intake.url.replace(/\/v1\/triggers$/, ''), bearerToken: this.intakeToken, timeoutMs: 5000, retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } }));
    const p = client
      .request('POST', '/v1/triggers', { body: triggerRequestFor(e) })
      .then((res) => {
        this.posted.push({ index, atMs, status: res.status, answer: res.body as TriggerAnswer });
      })
      .catch((err: unknown) => {
        const status = err instanceof RestError ? (err.status ?? 0) : 0;
        this.posted.push({ index, atMs, status, answer: { error: err instanceof Error ? err.message : String(err) } });
      });
    this.pending.push(p);
  }

  /** Waits for the window's end. */
  async finished(): Promise<void> {
    await this.rig.finished();
  }

  /** Stops the EMS (its runs end with `scenario-end`), the intake, the connectors and the rig. */
  async stop(): Promise<RunRecord[]> {
    if (this.runs) return this.runs;
    await Promise.allSettled(this.pending);
    const runs = this.ems ? await this.ems.stop(async () => this.built?.close()) : [];
    this.operator?.close();
    await this.intake?.stop();
    await this.rig.stop();
    this.record?.close();
    this.runs = runs;
    return runs;
  }
}
