/**
 * The trigger intake (I-01): `POST /v1/triggers`, which the grid operator's system calls to start, change or
 * stop a use case. Loopback-only unless configured otherwise, bearer-token protected, every field validated
 * before anything happens: a refused request (no token, a foreign address, NaN, out of range, beyond the
 * connection limit, a start in the past) gets a JSON answer that says where and why, and changes nothing.
 *
 * An accepted trigger is handed to the EMS (`TriggerTarget.submit`), which may still refuse it; the answer
 * carries the trigger id, the run id (when it started at once) and a feasibility verdict from the engine's
 * flexibility band now. Every request, accepted or refused, is reported with its source (remote address and
 * token name) through `onRecord`, for the tamper-evident record.
 *
 * Request (JSON): `{ useCase: 0–4, targetKw?, durationS?, toleranceKw? (default 10), schedule?: [{ from, to,
 * targetKw }], startAt?, requestId? }` — targetKw and durationS for use case 2, schedule for 3 and 4.
 */
import { z } from 'zod';
import type { EngineSnapshot } from '../../engine/engine.js';
import type { Trigger, UseCase } from '../../engine/model.js';
import { isLoopback, startJsonServer, type JsonReply, type JsonRequest, type RunningServer } from '../rest/json-server.js';
import { buildTrigger, triggerIssues } from '../../engine/trigger/trigger.js';
import { feasibilityOf, type Feasibility } from '../../engine/trigger/feasibility.js';

const finite = (what: string) => z.number({ error: (i) => (i.input === undefined ? `${what} is required` : `${what} must be a number, got ${JSON.stringify(i.input)}`) }).refine(Number.isFinite, { message: `${what} must be a finite number` });
const isoDateTime = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && Number.isFinite(Date.parse(s)), {
  message: 'must be an ISO 8601 date-time with offset, e.g. 2026-06-21T11:00:00+02:00',
});

export const TriggerRequestSchema = z
  .strictObject({
    useCase: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)], { error: 'useCase must be one of 0 (stop), 1 (island), 2 (fixed target), 3 (import packages), 4 (export packages)' }),
    targetKw: finite('targetKw').optional(),
    durationS: finite('durationS').refine((v) => v > 0, 'durationS must be positive').optional(),
    toleranceKw: finite('toleranceKw').refine((v) => v > 0, 'toleranceKw must be positive').optional(),
    schedule: z.array(z.strictObject({ from: isoDateTime, to: isoDateTime, targetKw: finite('targetKw') })).min(1, 'schedule needs at least one package').optional(),
    startAt: isoDateTime.optional(),
    requestId: z.string().min(1).max(100).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.useCase === 2) {
      if (t.targetKw === undefined) ctx.addIssue({ code: 'custom', path: ['targetKw'], message: 'use case 2 needs targetKw' });
      if (t.durationS === undefined) ctx.addIssue({ code: 'custom', path: ['durationS'], message: 'use case 2 needs durationS' });
    }
    if ((t.useCase === 3 || t.useCase === 4) && !t.schedule) ctx.addIssue({ code: 'custom', path: ['schedule'], message: `use case ${t.useCase} needs a schedule of packages` });
    if (t.schedule) {
      t.schedule.forEach((p, i) => {
        if (Date.parse(p.to) <= Date.parse(p.from)) ctx.addIssue({ code: 'custom', path: ['schedule', i, 'to'], message: 'to must be after from' });
        if (t.useCase === 3 && p.targetKw < 0) ctx.addIssue({ code: 'custom', path: ['schedule', i, 'targetKw'], message: 'use case 3 packages are imports: targetKw ≥ 0' });
        if (t.useCase === 4 && p.targetKw > 0) ctx.addIssue({ code: 'custom', path: ['schedule', i, 'targetKw'], message: 'use case 4 packages are exports: targetKw ≤ 0' });
      });
    }
  });

export type TriggerRequest = z.output<typeof TriggerRequestSchema>;

export interface TriggerAnswer {
  accepted: boolean;
  triggerId: string;
  runId: string | null;
  receivedAt: string;
  startAt: string;
  feasibility: Feasibility | null;
  error?: string;
  issues?: Array<{ path: string; message: string }>;
  /** True when this is the first answer to the same `requestId`, given again to a retry. */
  replayed?: boolean;
}

/** What the intake hands triggers to: the EMS runtime. */
export interface TriggerTarget {
  nowMs(): number;
  connectionLimitKw: number;
  submit(trigger: Trigger): { accepted: boolean; reason?: string };
  snapshot(): EngineSnapshot;
}

export interface TriggerIntakeOptions {
  host?: string;
  port?: number;
  /** token name → secret. At least one is required: the intake never runs open. */
  tokens: Record<string, string>;
  /**
   * Remote addresses allowed to call (exact addresses, or "loopback"). Default: ["loopback"]. The intake
   * binds to 127.0.0.1 by default too; opening it to a control-room network takes both settings.
   */
  allowedRemotes?: string[];
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Every request, accepted or not, with its source: for the record. */
  onRecord?: (entry: { request: unknown; source: { remoteAddress: string; tokenName: string | null }; answer: TriggerAnswer | { error: string }; status: number }) => void;
}

export function remoteAllowed(address: string, allowed: readonly string[] = ['loopback']): boolean {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return allowed.some((x) => (x === 'loopback' ? isLoopback(address) : x === a || x === address));
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The verdict from the engine's band now: can the breaker be brought to `targetKw`? (the engine's one check) */
export { feasibilityOf, type Feasibility };

/** Per address and window, at most this many refusals before authentication go into the record. */
const REFUSAL_WINDOW_MS = 60_000;
const REFUSALS_RECORDED_PER_WINDOW = 20;

/** A request as compared for a retry: times as instants ("…Z" and "…+00:00" are the same request). */
function canonicalRequest(t: z.output<typeof TriggerRequestSchema>): string {
  return JSON.stringify({
    ...t,
    startAt: t.startAt !== undefined ? Date.parse(t.startAt) : undefined,
    schedule: t.schedule?.map((p) => ({ from: Date.parse(p.from), to: Date.parse(p.to), targetKw: p.targetKw })),
  });
}

/**
 * How many answered request ids the intake remembers for retries (oldest forgotten first). In memory: a
 * retry after the EMS itself restarted is a new request.
 */
const REMEMBERED_REQUEST_IDS = 1000;

export class HttpTriggerIntake {
  private readonly refusals = new Map<string, { sinceMs: number; recorded: number; suppressed: number }>();
  /**
   * The first answer to each `requestId` (per token): a DSO system that retries after a lost answer gets that
   * answer again instead of a second trigger (which would restart the run); the same id with another request
   * is a conflict, never silently taken as the first.
   */
  private readonly answered = new Map<string, { request: string; status: number; answer: TriggerAnswer }>();
  private server: RunningServer | null = null;
  private seq = 0;

  constructor(
    private readonly target: TriggerTarget,
    private readonly opts: TriggerIntakeOptions,
  ) {
    if (Object.keys(opts.tokens).length === 0) throw new Error('trigger intake: at least one bearer token is required');
  }

  get url(): string {
    if (!this.server) throw new Error('trigger intake is not running');
    return `${this.server.url}/v1/triggers`;
  }

  async start(): Promise<void> {
    const allowed = this.opts.allowedRemotes ?? ['loopback'];
    this.server = await startJsonServer(
      {
        name: 'trigger intake',
        host: this.opts.host ?? '127.0.0.1',
        port: this.opts.port ?? 0,
        tokens: this.opts.tokens,
        maxBodyBytes: 64 * 1024,
        allowRemote: (addr) => remoteAllowed(addr, allowed),
        onRefused: (r) => {
          // Refusals before authentication are recorded up to a cap per address and window, then counted:
          // anyone who can reach the port must not be able to grow the signed record at will.
          const now = Date.now();
          let seen = this.refusals.get(r.remoteAddress);
          if (!seen || now - seen.sinceMs >= REFUSAL_WINDOW_MS) {
            if (this.refusals.size > 1000) this.refusals.clear();
            seen = { sinceMs: now, recorded: 0, suppressed: seen?.suppressed ?? 0 };
            this.refusals.set(r.remoteAddress, seen);
          }
          if (seen.recorded >= REFUSALS_RECORDED_PER_WINDOW) {
            seen.suppressed++;
            return;
          }
          seen.recorded++;
          const error = seen.suppressed > 0 ? `${r.error} (and ${seen.suppressed} earlier refusals from this address not recorded)` : r.error;
          seen.suppressed = 0;
          this.opts.onRecord?.({ request: null, source: { remoteAddress: r.remoteAddress, tokenName: null }, answer: { error }, status: r.status });
        },
        ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      },
      [{ method: 'POST', pattern: '/v1/triggers', handler: (req) => this.handle(req) }],
    );
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }

  private handle(req: JsonRequest): JsonReply {
    const nowMs = this.target.nowMs();
    const id = `H${String(++this.seq).padStart(3, '0')}-${nowMs.toString(36)}`;
    const source = { remoteAddress: req.remoteAddress, tokenName: req.tokenName };
    const reply = (status: number, answer: TriggerAnswer): JsonReply => {
      this.opts.onRecord?.({ request: req.body ?? null, source, answer, status });
      return { status, body: answer };
    };
    const refused = (status: number, error: string, issues?: TriggerAnswer['issues']): JsonReply =>
      reply(status, { accepted: false, triggerId: id, runId: null, receivedAt: iso(nowMs), startAt: iso(nowMs), feasibility: null, error, ...(issues ? { issues } : {}) });

    if (req.headers['content-type']?.split(';')[0]?.trim() !== 'application/json') return refused(415, 'send the trigger as application/json');
    const parsed = TriggerRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: '$' + i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join(''), message: i.message }));
      return refused(422, `invalid trigger: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
    }
    const t = parsed.data;
    const idKey = t.requestId !== undefined ? `${req.tokenName ?? '-'}\u0000${t.requestId}` : null;
    if (idKey !== null) {
      const first = this.answered.get(idKey);
      const request = canonicalRequest(parsed.data);
      if (first && first.request === request) return reply(first.status, { ...first.answer, replayed: true });
      if (first) return refused(409, `requestId ${t.requestId} was already used for another request (first answered ${first.status} at ${first.answer.receivedAt}): use a new requestId for a new request`, [{ path: '$.requestId', message: 'already used for another request' }]);
    }
    const answer = this.decide(t, id, nowMs, req, refused, reply);
    if (idKey !== null) {
      this.answered.set(idKey, { request: canonicalRequest(parsed.data), status: answer.status, answer: answer.body as TriggerAnswer });
      if (this.answered.size > REMEMBERED_REQUEST_IDS) this.answered.delete(this.answered.keys().next().value!);
    }
    return answer;
  }

  private decide(
    t: z.output<typeof TriggerRequestSchema>,
    id: string,
    nowMs: number,
    req: JsonRequest,
    refused: (status: number, error: string, issues?: TriggerAnswer['issues']) => JsonReply,
    reply: (status: number, answer: TriggerAnswer) => JsonReply,
  ): JsonReply {
    const startMs = t.startAt !== undefined ? Date.parse(t.startAt) : nowMs;
    if (startMs < nowMs - 1000) return refused(422, `startAt ${t.startAt} is in the past (EMS time ${iso(nowMs)})`, [{ path: '$.startAt', message: 'in the past' }]);
    const trigger = buildTrigger(
      {
        useCase: t.useCase as UseCase,
        targetKw: t.useCase === 1 ? 0 : t.targetKw,
        durationS: t.durationS,
        toleranceKw: t.toleranceKw,
        startMs: Math.max(startMs, nowMs),
        schedule: t.schedule?.map((p) => ({ fromMs: Date.parse(p.from), toMs: Date.parse(p.to), targetKw: p.targetKw })) ?? null,
      },
      { id: t.requestId ? `${id}:${t.requestId}` : id, source: `http ${req.remoteAddress} token:${req.tokenName ?? '-'}`, receivedMs: nowMs },
    );
    // The engine's own rules, here: a trigger it would refuse is refused once, with its fields, before it is handed over.
    const issues = triggerIssues(trigger, this.target.connectionLimitKw).map((i) => ({ path: `$.${i.path}`, message: i.message }));
    if (issues.length > 0) return refused(422, issues.map((i) => i.message).join('; '), issues);
    const verdict = this.target.submit(trigger);
    if (!verdict.accepted) return refused(422, `refused by the EMS: ${verdict.reason ?? 'no reason given'}`);
    const snap = this.target.snapshot();
    const runId = snap.run && snap.run.triggerId === trigger.id ? snap.run.runId : null;
    const targetNow = t.useCase === 0 ? null : t.useCase === 2 ? trigger.targetKw : t.useCase === 1 ? 0 : (snap.run?.targetKw ?? 0);
    return reply(202, {
      accepted: true,
      triggerId: trigger.id,
      runId,
      receivedAt: iso(nowMs),
      startAt: iso(trigger.startMs),
      feasibility: feasibilityOf(snap, targetNow),
    });
  }
}
