/**
 * A lab session: the rig, plus (unless rig-only) a headless EMS — `EmsRuntime` with the real connectors,
 * built from the rig's connector configuration and reaching it over loopback HTTP exactly as in the field —
 * and the EMS's HTTP trigger intake, to which the scenario's triggers are posted when they fall due.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RestClient, RestError } from '../connectors/rest/http-client.js';
import { HttpTriggerIntake, type TriggerAnswer } from '../connectors/trigger-intake/trigger-intake.js';
import type { RunRecord } from '../engine/engine.js';
import type { ControllerName } from '../engine/controllers.js';
import type { ScenarioEvent } from '../engine/scenario/index.js';
import { WallClock } from '../engine/wall-clock.js';
import { loadOrCreateInstallationKey } from '../record/installation-key.js';
import { RecordLog } from '../record/record-log.js';
import { engineConfigFor } from '../replay/replay.js';
import { EmsRuntime, type RuntimeEvent } from '../runtime/ems-runtime.js';
import { buildFieldConnectors, type BuiltConnectors } from '../runtime/field-connectors.js';
import { memberIds } from '../sim/plant.js';
import { LabRig, type LabEndpoint, type LabRigInputs, type LabRigOptions } from './rig.js';

/** Real milliseconds a write may spend on the wire before the lab's EMS counts it as unacknowledged. */
export const LAB_WIRE_BUDGET_MS = 500;

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

export class LabSession {
  readonly rig: LabRig;
  ems: EmsRuntime | null = null;
  intake: HttpTriggerIntake | null = null;
  readonly intakeToken = randomBytes(18).toString('base64url');
  readonly posted: PostedTrigger[] = [];
  record: RecordLog | null = null;
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

  async start(): Promise<void> {
    const rig = this.rig;
    await rig.startServers();
    const anchor = rig.startSimulation();
    if (this.opts.rigOnly) return;
    const wallNow = this.opts.wallNowMs ?? (() => performance.now());
    const clock = new WallClock({ now: wallNow, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) }, rig.speed, anchor.sim0 + (wallNow() - anchor.wall0) * rig.speed);
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
    const ackTimeoutS = 5 + (LAB_WIRE_BUDGET_MS / 1000) * rig.speed;
    engineConfig.safety = { ...engineConfig.safety, ackTimeoutS };
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
        this.built = await buildFieldConnectors({ config, secrets: (n) => allSecrets[n], ctx, membersOf, breakerPeriodS: scenario.measurement.breakerPeriodS });
        return this.built.connectors;
      },
    });
    this.ems = ems;
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
