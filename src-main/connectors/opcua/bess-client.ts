/**
 * The EMS's OPC UA link to the community BESS (I-04 telemetry, I-06 setpoints) through the battery vendor's
 * backend. It implements the engine's ports for that one asset: `AssetTelemetry` (a subscription whose
 * samples become `AssetReport`s) and `SetpointSink` (a write, a read-back, one acknowledgement).
 *
 * ## Acknowledgements (what the engine sees)
 * - The server answered the write: exactly one `SetpointAck`. `ok: true` carries `readBack` (measured power,
 *   state of charge, their source time) once the setpoint read back from the device matches the command;
 *   `ok: false` carries the OPC UA status (e.g. `BadOutOfService (0x808d0000): battery in local mode`), or
 *   the read-back mismatch.
 * - The write could not be sent (link down), its answer did not come within `writeTimeoutMs`, or the
 *   backend answered that it cannot reach the battery (`BadNoCommunication`, `BadNotConnected`,
 *   `BadTimeout`: nobody heard the device, so nothing was applied or refused by it): **no
 *   acknowledgement at all**. The engine's own ack timeout then counts it as `ack-timeout` and, repeated,
 *   `asset-lost` — the right name for an unreachable battery. (An `ok: false` would tell the engine the
 *   battery answered and refused, which resets its missed-ack count and would hide a dead link.) A link
 *   event `write-timeout` / `write-not-sent` records it, and a late answer is dropped: never two acks.
 * - A write is never retried after a connection loss: the engine sends a fresh command every cycle, and a
 *   replayed old one could outlive its purpose.
 *
 * ## Expiry and heartbeat
 * Every commit writes a revert timeout (`WSet_RvrtTms`-style node) relative to its arrival at the server, so
 * the clocks of the EMS and the battery need not agree: `min(revertS, time left until command.expiresMs)`.
 * While the connector runs it re-arms that timer every `heartbeatPeriodMs` for the last acknowledged
 * command (a write of the heartbeat node naming the command id), never beyond the command's own expiry.
 * When the EMS stops (or dies) nothing more is written and the battery reverts to its default within
 * `revertS`. A mapping without a revert-time node cannot make setpoints expire: the connector says so with a
 * `no-expiry` link event at every connection.
 *
 * ## Reconnection
 * node-opcua's `connectionStrategy` (exponential backoff from `reconnect.initialDelayMs` to
 * `reconnect.maxDelayMs`, forever once the first connection has succeeded) re-opens the secure channel and
 * re-activates the session, or recreates it and its subscription when the server has restarted
 * (`session_restored`). The connector then re-resolves namespace URIs and recreates the subscription itself
 * if the namespace indices moved or node-opcua's recreation failed.
 */
import type { ClientMonitoredItemGroup, ClientSession, ClientSubscription, DataValue, OPCUACertificateManager, UserIdentityInfo } from 'node-opcua';
import {
  AttributeIds,
  DataChangeFilter,
  DataChangeTrigger,
  DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
} from 'node-opcua';
import type { Clock } from '../../engine/clock.js';
import type { AssetReport, SetpointAck, SetpointCommand } from '../../engine/model.js';
import type { AssetTelemetry, SetpointSink, Unsubscribe } from '../../engine/ports.js';
import type { BessNodeMapping } from './mapping.js';
import { resolveNodeIdText } from './mapping.js';
import { acceptRejectedCertificate, certificateThumbprint, leafCertificate, openClientPki } from './pki.js';

export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';
export type OpcuaSecurityPolicy = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep';

export type LinkEventType =
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'reconnecting'
  | 'restored'
  | 'subscription-recreated'
  | 'certificate-untrusted'
  | 'certificate-accepted'
  | 'login-refused'
  | 'no-expiry'
  | 'bad-value'
  | 'value-restored'
  | 'write-not-sent'
  | 'write-timeout'
  | 'device-unreachable'
  | 'heartbeat-refused'
  | 'stopped'
  | 'error';

export interface LinkEvent {
  timeMs: number;
  type: LinkEventType;
  level: 'info' | 'warning' | 'error';
  message: string;
  data?: Record<string, unknown>;
}

export interface OpcuaBessConnectorOptions {
  /** `opc.tcp://host:port` of the vendor backend. */
  endpointUrl: string;
  /** The engine's id of the BESS (reports carry it; commands for another asset are refused). */
  assetId: string;
  mapping: BessNodeMapping;
  /** The app's own PKI folder (created on first use). */
  pkiDir: string;
  /** Default SignAndEncrypt. */
  securityMode?: OpcuaSecurityMode;
  /** Default Basic256Sha256 (None when the mode is None). */
  securityPolicy?: OpcuaSecurityPolicy;
  /** Username login; anonymous without it. */
  user?: { username: string; password: string };
  /** Timestamps (`arrivalMs`, `ackMs`, events) and the heartbeat/write-timeout timers. */
  clock: Clock;
  /** Server-side sampling of the telemetry nodes (ms). Default 500. */
  samplingIntervalMs?: number;
  /** Subscription publishing interval (ms). Default = the sampling interval. */
  publishingIntervalMs?: number;
  /** Default 2000; 0 disables the heartbeat. */
  heartbeatPeriodMs?: number;
  /** Longest revert timeout written with a commit or heartbeat (s). Default 10. */
  revertS?: number;
  /** How long a write waits for its answer before it is given up without acknowledgement (ms). Default 4000. */
  writeTimeoutMs?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Session keep-alive read period (ms). Default 5000. */
  keepAliveIntervalMs?: number;
  applicationName?: string;
  onLinkEvent?: (event: LinkEvent) => void;
}

/** The server's certificate is not trusted yet: compare `thumbprint` with the owner's, then accept it. */
export class UntrustedServerCertificateError extends Error {
  constructor(
    readonly endpointUrl: string,
    readonly thumbprint: string,
    readonly subject: string,
  ) {
    super(
      `${endpointUrl}: server certificate ${thumbprint} (${subject}) is not trusted; ` +
        `check the thumbprint with the server's owner and call acceptServerCertificate('${thumbprint}')`,
    );
    this.name = 'UntrustedServerCertificateError';
  }
}

export type OpcuaLinkErrorCode = 'unreachable' | 'no-endpoint' | 'login-refused' | 'mapping' | 'stopped';

export class OpcuaLinkError extends Error {
  constructor(
    readonly code: OpcuaLinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OpcuaLinkError';
  }
}

export const SECURITY_MODE: Record<OpcuaSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};
export const SECURITY_POLICY: Record<OpcuaSecurityPolicy, SecurityPolicy> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
};

/** Resolved numeric node ids of the mapping (after the namespace array is known). */
interface ResolvedNodes {
  power: string;
  soc: string | null;
  status: string | null;
  setpoint: string;
  enable: string | null;
  revert: string | null;
  commandId: string | null;
  heartbeat: string | null;
  readBack: string;
  lastError: string | null;
}

interface TelemetrySample {
  value: number;
  sampleMs: number;
  arrivalMs: number;
}

interface AckedCommand {
  command: SetpointCommand;
}

const statusText = (s: { name: string; value: number }): string => `${s.name} (0x${(s.value >>> 0).toString(16).padStart(8, '0')})`;

/** Status codes with which a backend says it could not reach the device: the device neither applied nor refused. */
const DEVICE_UNREACHABLE = new Set(['BadNoCommunication', 'BadNotConnected', 'BadTimeout']);

/** The backend answered, but for a device it could not reach: no acknowledgement (see the module comment). */
interface DeviceUnreachable {
  unreachable: string;
}

export class OpcuaBessConnector implements AssetTelemetry, SetpointSink {
  private readonly opts: Required<
    Pick<OpcuaBessConnectorOptions, 'samplingIntervalMs' | 'publishingIntervalMs' | 'heartbeatPeriodMs' | 'revertS' | 'writeTimeoutMs' | 'keepAliveIntervalMs' | 'applicationName'>
  > &
    OpcuaBessConnectorOptions;
  private readonly listeners = new Set<(r: AssetReport) => void>();
  private pki: OPCUACertificateManager | null = null;
  private client: OPCUAClient | null = null;
  private session: ClientSession | null = null;
  private subscription: ClientSubscription | null = null;
  private group: ClientMonitoredItemGroup | null = null;
  private nodes: ResolvedNodes | null = null;
  private linkUp = false;
  private stopped = false;
  private badValueEpisode = false;
  private lastSocPct: number | undefined;
  private pendingPower: TelemetrySample[] = [];
  private pendingSoc: TelemetrySample[] = [];
  private flushScheduled = false;
  /** Writes and heartbeats go out one at a time, in order. */
  private writeChain: Promise<void> = Promise.resolve();
  private heartbeatCommand: AckedCommand | null = null;
  private heartbeatCount = 0;
  private cancelHeartbeat: (() => void) | null = null;

  constructor(options: OpcuaBessConnectorOptions) {
    const sampling = options.samplingIntervalMs ?? 500;
    this.opts = {
      ...options,
      samplingIntervalMs: sampling,
      publishingIntervalMs: options.publishingIntervalMs ?? sampling,
      heartbeatPeriodMs: options.heartbeatPeriodMs ?? 2000,
      revertS: options.revertS ?? 10,
      writeTimeoutMs: options.writeTimeoutMs ?? 4000,
      keepAliveIntervalMs: options.keepAliveIntervalMs ?? 5000,
      applicationName: options.applicationName ?? 'LocalFlexController',
    };
    if (!(this.opts.revertS > 0)) throw new Error(`OpcuaBessConnector: revertS must be > 0, got ${this.opts.revertS}`);
  }

  private get securityMode(): OpcuaSecurityMode {
    return this.opts.securityMode ?? 'SignAndEncrypt';
  }

  private get securityPolicy(): OpcuaSecurityPolicy {
    return this.securityMode === 'None' ? 'None' : (this.opts.securityPolicy ?? 'Basic256Sha256');
  }

  /** True while a session is open and usable. */
  get connected(): boolean {
    return this.linkUp;
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Connects once: checks the server's certificate against the app's trust list, opens the secure channel
   * and the session, resolves the mapping and starts the telemetry subscription. Fails fast with
   * `UntrustedServerCertificateError` (carries the thumbprint) or `OpcuaLinkError` ('unreachable',
   * 'no-endpoint', 'login-refused', 'mapping'). Once connected, losses are healed automatically until `stop()`.
   */
  async start(): Promise<void> {
    if (this.client) throw new Error('OpcuaBessConnector: already started');
    this.stopped = false;
    const url = this.opts.endpointUrl;
    this.event('connecting', 'info', `connecting to ${url} (${this.securityMode}, ${this.securityPolicy})`);
    this.pki ??= await openClientPki(this.opts.pkiDir);
    await this.checkServerCertificate();

    const client = OPCUAClient.create({
      applicationName: this.opts.applicationName,
      clientCertificateManager: this.pki,
      securityMode: SECURITY_MODE[this.securityMode],
      securityPolicy: SECURITY_POLICY[this.securityPolicy],
      endpointMustExist: false,
      keepSessionAlive: true,
      keepAliveInterval: this.opts.keepAliveIntervalMs,
      requestedSessionTimeout: 60_000,
      // maxRetry ≥ 1 switches node-opcua's automatic reconnection on (then it retries forever); the first
      // connection itself gets one retry, so start() fails fast when the server is not there.
      connectionStrategy: {
        initialDelay: this.opts.reconnect?.initialDelayMs ?? 500,
        maxDelay: this.opts.reconnect?.maxDelayMs ?? 10_000,
        maxRetry: 1,
        randomisationFactor: 0.1,
      },
    });
    this.client = client;
    client.on('connection_lost', () => {
      this.linkUp = false;
      this.event('disconnected', 'warning', `connection to ${url} lost`);
    });
    client.on('backoff', (retry: number, delayMs: number) => {
      if (!this.stopped) this.event('reconnecting', 'info', `reconnection attempt ${retry + 1} to ${url} in ${Math.round(delayMs)} ms`, { attempt: retry + 1, delayMs });
    });
    client.on('connection_reestablished', () => {
      this.event('connected', 'info', `secure channel to ${url} re-established`);
    });

    try {
      await client.connect(url);
    } catch (err) {
      await this.dispose();
      throw new OpcuaLinkError('unreachable', `${url}: cannot connect (${this.securityMode}, ${this.securityPolicy}): ${(err as Error).message}`);
    }
    let session: ClientSession;
    try {
      session = await client.createSession(this.userIdentity());
    } catch (err) {
      await this.dispose();
      const msg = (err as Error).message;
      if (/BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid|BadUserSignatureInvalid/.test(msg)) {
        this.event('login-refused', 'error', `${url}: login refused for ${this.opts.user ? 'the configured user' : 'anonymous'}: ${msg}`);
        throw new OpcuaLinkError('login-refused', `${url}: login refused for ${this.opts.user ? 'the configured user' : 'anonymous'}: ${msg}`);
      }
      throw new OpcuaLinkError('unreachable', `${url}: cannot open a session: ${msg}`);
    }
    this.session = session;
    session.on('session_restored', () => void this.onSessionRestored());
    session.on('keepalive_failure', () => this.event('disconnected', 'warning', `${url}: keep-alive failed`));
    try {
      this.nodes = await this.resolveNodes(session);
      await this.createSubscription(session);
    } catch (err) {
      await this.dispose();
      throw err instanceof OpcuaLinkError ? err : new OpcuaLinkError('mapping', `${url}: ${(err as Error).message}`);
    }
    this.linkUp = true;
    this.event('connected', 'info', `connected to ${url} (${this.securityMode}, ${this.securityPolicy}${this.opts.user ? ', user login' : ', anonymous'})`);
    this.warnIfNoExpiry();
  }

  /**
   * Stops the link. Writes nothing: the setpoint in force reverts on the device when its revert timeout
   * passes, which is the point of the heartbeat.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopHeartbeat();
    await this.writeChain.catch(() => undefined);
    await this.dispose();
    this.event('stopped', 'info', `link to ${this.opts.endpointUrl} stopped; the BESS reverts to its default when the last revert timeout passes`);
  }

  /** Moves a refused server certificate (by its SHA-1 thumbprint, hex) to the trusted list. */
  async acceptServerCertificate(thumbprint: string): Promise<void> {
    this.pki ??= await openClientPki(this.opts.pkiDir);
    await acceptRejectedCertificate(this.pki, thumbprint);
    this.event('certificate-accepted', 'info', `server certificate ${thumbprint} accepted and trusted`, { thumbprint });
  }

  private async dispose(): Promise<void> {
    this.linkUp = false;
    const session = this.session;
    const client = this.client;
    this.session = null;
    this.client = null;
    this.subscription = null;
    this.group = null;
    if (session) await session.close(true).catch(() => undefined);
    if (client) await client.disconnect().catch(() => undefined);
  }

  private userIdentity(): UserIdentityInfo {
    const u = this.opts.user;
    return u ? { type: UserTokenType.UserName, userName: u.username, password: u.password } : { type: UserTokenType.Anonymous };
  }

  /** Fetches the endpoints over an unsecured discovery connection and checks the chosen one's certificate. */
  private async checkServerCertificate(): Promise<void> {
    const url = this.opts.endpointUrl;
    const probe = OPCUAClient.create({
      applicationName: this.opts.applicationName,
      clientCertificateManager: this.pki!,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    });
    let endpoints;
    try {
      await probe.connect(url);
      endpoints = await probe.getEndpoints();
    } catch (err) {
      throw new OpcuaLinkError('unreachable', `${url}: cannot reach the server: ${(err as Error).message}`);
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
    const mode = SECURITY_MODE[this.securityMode];
    const policyUri = SECURITY_POLICY[this.securityPolicy];
    const endpoint = endpoints.find((e) => e.securityMode === mode && e.securityPolicyUri === policyUri);
    if (!endpoint) {
      const offered = endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${(e.securityPolicyUri ?? '').split('#')[1] ?? e.securityPolicyUri}`).join(', ');
      throw new OpcuaLinkError('no-endpoint', `${url}: the server offers no ${this.securityMode}/${this.securityPolicy} endpoint (it offers: ${offered})`);
    }
    if (this.securityMode === 'None' || !endpoint.serverCertificate || endpoint.serverCertificate.length === 0) return;
    const leaf = leafCertificate(endpoint.serverCertificate);
    const status = await this.pki!.isCertificateTrusted(leaf);
    if (status === 'Good') return;
    const thumbprint = certificateThumbprint(leaf);
    let subject = 'unreadable subject';
    try {
      const { X509Certificate } = await import('node:crypto');
      subject = new X509Certificate(leaf).subject.replace(/\n/g, ', ');
    } catch {
      // the thumbprint alone identifies it
    }
    await this.pki!.rejectCertificate(leaf);
    this.event('certificate-untrusted', 'error', `server certificate ${thumbprint} (${subject}) is not trusted (${status}); accept it explicitly after checking the thumbprint`, {
      thumbprint,
      subject,
    });
    throw new UntrustedServerCertificateError(url, thumbprint, subject);
  }

  private async resolveNodes(session: ClientSession): Promise<ResolvedNodes> {
    const namespaces = await session.readNamespaceArray();
    const m = this.opts.mapping;
    const r = (id: string) => resolveNodeIdText(id, namespaces);
    const o = (n: { nodeId: string } | undefined) => (n ? r(n.nodeId) : null);
    const setpoint = r(m.setpoint.powerKw.nodeId);
    return {
      power: r(m.telemetry.powerKw.nodeId),
      soc: o(m.telemetry.socPct),
      status: o(m.telemetry.status),
      setpoint,
      enable: o(m.setpoint.enable),
      revert: o(m.setpoint.revertTimeS),
      commandId: o(m.setpoint.commandId),
      heartbeat: o(m.setpoint.heartbeat),
      readBack: m.setpoint.readBack ? r(m.setpoint.readBack.nodeId) : setpoint,
      lastError: o(m.setpoint.lastError),
    };
  }

  private warnIfNoExpiry(): void {
    if (!this.nodes?.revert) {
      this.event('no-expiry', 'warning', `the mapping has no revert-time node: setpoints written to ${this.opts.endpointUrl} do not expire on the device`);
    }
  }

  private async onSessionRestored(): Promise<void> {
    const session = this.session;
    if (!session || this.stopped) return;
    try {
      const nodes = await this.resolveNodes(session);
      const moved = JSON.stringify(nodes) !== JSON.stringify(this.nodes);
      this.nodes = nodes;
      const subscriptionAlive = this.subscription !== null && this.subscription.isActive;
      if (moved || !subscriptionAlive) {
        if (this.subscription) await this.subscription.terminate().catch(() => undefined);
        await this.createSubscription(session);
        this.event('subscription-recreated', 'info', moved ? 'namespace indices moved: telemetry subscription recreated' : 'telemetry subscription recreated');
      }
      this.linkUp = true;
      this.event('restored', 'info', `session to ${this.opts.endpointUrl} restored; telemetry resumes`);
    } catch (err) {
      this.event('error', 'error', `session restored but the link could not be rebuilt: ${(err as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ telemetry

  subscribe(listener: (report: AssetReport) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async createSubscription(session: ClientSession): Promise<void> {
    const nodes = this.nodes!;
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: this.opts.publishingIntervalMs,
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 10,
    });
    const items = [nodes.power, ...(nodes.soc ? [nodes.soc] : [])].map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }));
    const queueSize = Math.max(2, Math.ceil(this.opts.publishingIntervalMs / this.opts.samplingIntervalMs) + 2);
    const group = await subscription.monitorItems(
      items,
      {
        samplingInterval: this.opts.samplingIntervalMs,
        queueSize,
        discardOldest: true,
        // Every fresh sample counts, even when its value repeats: the engine judges staleness and stuck sensors.
        filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValueTimestamp }),
      },
      TimestampsToReturn.Both,
    );
    group.on('changed', (_item: unknown, dataValue: DataValue, index: number) => this.onSample(index === 0 ? 'power' : 'soc', dataValue));
    this.subscription = subscription;
    this.group = group;
  }

  private onSample(kind: 'power' | 'soc', dataValue: DataValue): void {
    const arrivalMs = this.opts.clock.nowMs();
    const m = this.opts.mapping.telemetry;
    if (!dataValue.statusCode.isGoodish()) {
      if (!this.badValueEpisode) {
        this.badValueEpisode = true;
        this.event('bad-value', 'warning', `${kind === 'power' ? m.powerKw.nodeId : m.socPct?.nodeId}: status ${statusText(dataValue.statusCode)}; no report until good values return`);
      }
      return;
    }
    if (this.badValueEpisode) {
      this.badValueEpisode = false;
      this.event('value-restored', 'info', 'telemetry values are good again');
    }
    const raw = typeof dataValue.value.value === 'number' ? dataValue.value.value : NaN;
    const scale = kind === 'power' ? m.powerKw.scale : (m.socPct?.scale ?? 1);
    const sampleMs = (dataValue.sourceTimestamp ?? dataValue.serverTimestamp)?.getTime() ?? arrivalMs;
    // NaN stays NaN: the engine, not the connector, decides what an invalid measurement means.
    const sample = { value: raw * scale, sampleMs, arrivalMs };
    (kind === 'power' ? this.pendingPower : this.pendingSoc).push(sample);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One publish response delivers its notifications synchronously: flush after all of them, so each power
      // sample is paired with the state of charge sampled with it.
      setImmediate(() => this.flushReports());
    }
  }

  private flushReports(): void {
    this.flushScheduled = false;
    const socs = this.pendingSoc.sort((a, b) => a.sampleMs - b.sampleMs);
    const powers = this.pendingPower;
    this.pendingPower = [];
    this.pendingSoc = [];
    let si = 0;
    for (const p of powers) {
      while (si < socs.length && socs[si]!.sampleMs <= p.sampleMs) this.lastSocPct = socs[si++]!.value;
      const report: AssetReport = { assetId: this.opts.assetId, sampleMs: p.sampleMs, arrivalMs: p.arrivalMs, powerKw: p.value };
      if (this.lastSocPct !== undefined) report.socPct = this.lastSocPct;
      for (const l of this.listeners) l(report);
    }
    while (si < socs.length) this.lastSocPct = socs[si++]!.value;
  }

  // ------------------------------------------------------------------ setpoints

  write(command: SetpointCommand, onAck: (ack: SetpointAck) => void): void {
    const clock = this.opts.clock;
    let settled = false;
    let markDone: () => void = () => undefined;
    const done = new Promise<void>((r) => (markDone = r));
    const nack = (error: string) => settle({ commandId: command.commandId, assetId: command.assetId, ackMs: clock.nowMs(), ok: false, error });
    const settle = (ack: SetpointAck | null) => {
      if (settled) return;
      settled = true;
      cancelTimeout();
      markDone();
      if (ack) onAck(ack);
    };
    const cancelTimeout = clock.schedule(clock.nowMs() + this.opts.writeTimeoutMs, () => {
      if (settled) return;
      this.event('write-timeout', 'warning', `setpoint ${command.commandId} (${command.powerKw} kW): no answer within ${this.opts.writeTimeoutMs} ms; no acknowledgement given`, {
        commandId: command.commandId,
      });
      settle(null);
    });
    if (command.assetId !== this.opts.assetId) return nack(`this OPC UA link serves ${this.opts.assetId}, not ${command.assetId}`);
    if (command.powerKw !== null && !Number.isFinite(command.powerKw)) return nack(`setpoint must be a finite number of kW, got ${command.powerKw}`);
    if (command.expiresMs <= clock.nowMs()) return nack(`command ${command.commandId} expired before it could be sent`);
    this.writeChain = this.writeChain.then(async () => {
      if (settled) return;
      if (!this.linkUp || !this.session || !this.nodes) {
        this.event('write-not-sent', 'warning', `setpoint ${command.commandId} (${command.powerKw} kW) not sent: link to ${this.opts.endpointUrl} is down; no acknowledgement given`, {
          commandId: command.commandId,
        });
        settle(null);
        return;
      }
      try {
        // A hung request holds the queue no longer than the write timeout.
        const ack = await Promise.race([this.sendSetpoint(this.session, this.nodes, command), done.then(() => null)]);
        if (settled || !ack) return;
        if ('unreachable' in ack) {
          this.stopHeartbeat();
          this.event('device-unreachable', 'warning', `setpoint ${command.commandId} (${command.powerKw} kW): ${ack.unreachable}; no acknowledgement given`, { commandId: command.commandId });
          settle(null);
          return;
        }
        if (ack.ok && command.powerKw !== null) this.startHeartbeat({ command });
        else if (ack.ok) this.stopHeartbeat();
        settle(ack);
      } catch (err) {
        // The request failed in transit (channel closed, timed out): the device's state is unknown.
        if (settled) return;
        this.event('write-not-sent', 'warning', `setpoint ${command.commandId}: ${(err as Error).message}; no acknowledgement given`, { commandId: command.commandId });
        settle(null);
      }
    });
  }

  private revertSFor(command: SetpointCommand): number {
    const leftS = (command.expiresMs - this.opts.clock.nowMs()) / 1000;
    return Math.min(this.opts.revertS, leftS);
  }

  private async sendSetpoint(session: ClientSession, nodes: ResolvedNodes, command: SetpointCommand): Promise<SetpointAck | DeviceUnreachable> {
    const sp = this.opts.mapping.setpoint;
    const base = { commandId: command.commandId, assetId: command.assetId };
    const revertS = this.revertSFor(command);
    if (!(revertS > 0)) return { ...base, ackMs: this.opts.clock.nowMs(), ok: false, error: `command ${command.commandId} expired before it could be sent` };
    const enabled = command.powerKw !== null;
    const rawSetpoint = enabled ? command.powerKw! / sp.powerKw.scale : 0;
    const writes: Array<{ nodeId: string; dataType: DataType; value: unknown }> = [];
    if (nodes.commandId) writes.push({ nodeId: nodes.commandId, dataType: DataType.String, value: command.commandId });
    if (nodes.enable) writes.push({ nodeId: nodes.enable, dataType: DataType.Boolean, value: enabled });
    if (nodes.revert) writes.push({ nodeId: nodes.revert, dataType: DataType.Double, value: revertS });
    writes.push({ nodeId: nodes.setpoint, dataType: sp.powerKw.dataType === 'Float' ? DataType.Float : DataType.Double, value: rawSetpoint });
    const statuses = await session.write(writes.map((w) => ({ nodeId: w.nodeId, attributeId: AttributeIds.Value, value: { value: { dataType: w.dataType, value: w.value } } })));
    const badIndex = statuses.findIndex((s) => !s.isGood());
    if (badIndex >= 0) {
      const s = statuses[badIndex]!;
      let reason = '';
      if (nodes.lastError) {
        const dv = await session.read({ nodeId: nodes.lastError, attributeId: AttributeIds.Value }).catch(() => null);
        if (dv && typeof dv.value.value === 'string' && dv.value.value) reason = `: ${dv.value.value}`;
      }
      if (DEVICE_UNREACHABLE.has(s.name)) return { unreachable: `the backend cannot reach the battery: ${statusText(s)} writing ${writes[badIndex]!.nodeId}${reason}` };
      return { ...base, ackMs: this.opts.clock.nowMs(), ok: false, error: `${statusText(s)} writing ${writes[badIndex]!.nodeId}${reason}` };
    }
    // Read back what the device now holds, and the measurements that go with it.
    const reads = [nodes.readBack, nodes.enable, nodes.power, nodes.soc];
    const values = await session.read(reads.filter((n): n is string => n !== null).map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })), 0);
    let i = 0;
    const readBackDv = values[i++]!;
    const enableDv = nodes.enable ? values[i++]! : null;
    const powerDv = values[i++]!;
    const socDv = nodes.soc ? values[i++]! : null;
    const ackMs = this.opts.clock.nowMs();
    if (!readBackDv.statusCode.isGood()) return { ...base, ackMs, ok: false, error: `read-back of ${nodes.readBack} failed: ${statusText(readBackDv.statusCode)}` };
    const readBackScale = sp.readBack?.scale ?? sp.powerKw.scale;
    const heldKw = Number(readBackDv.value.value) * readBackScale;
    const heldEnabled = enableDv ? Boolean(enableDv.value.value) : true;
    if (enabled) {
      const toleranceKw = 0.001 + 1e-5 * Math.abs(command.powerKw!);
      if (!heldEnabled || !(Math.abs(heldKw - command.powerKw!) <= toleranceKw)) {
        return { ...base, ackMs, ok: false, error: `read-back mismatch: wrote ${command.powerKw} kW, the device holds ${heldEnabled ? `${heldKw} kW` : 'no setpoint'}` };
      }
    } else if (enableDv ? heldEnabled : Math.abs(heldKw) > 0.001) {
      return { ...base, ackMs, ok: false, error: `read-back mismatch: released the battery, the device still holds ${heldKw} kW` };
    }
    const ack: SetpointAck = { ...base, ackMs, ok: true };
    if (powerDv.statusCode.isGoodish() && typeof powerDv.value.value === 'number') {
      ack.readBack = {
        powerKw: powerDv.value.value * this.opts.mapping.telemetry.powerKw.scale,
        sampleMs: (powerDv.sourceTimestamp ?? powerDv.serverTimestamp)?.getTime() ?? ackMs,
      };
      if (socDv && socDv.statusCode.isGoodish() && typeof socDv.value.value === 'number') ack.readBack.socPct = socDv.value.value * (this.opts.mapping.telemetry.socPct?.scale ?? 1);
    }
    return ack;
  }

  // ------------------------------------------------------------------ heartbeat

  private startHeartbeat(acked: AckedCommand): void {
    this.stopHeartbeat();
    if (this.opts.heartbeatPeriodMs <= 0 || !this.nodes?.heartbeat || this.stopped) return;
    this.heartbeatCommand = acked;
    this.scheduleHeartbeat();
  }

  private stopHeartbeat(): void {
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = null;
    this.heartbeatCommand = null;
  }

  private scheduleHeartbeat(): void {
    const clock = this.opts.clock;
    this.cancelHeartbeat = clock.schedule(clock.nowMs() + this.opts.heartbeatPeriodMs, () => {
      const acked = this.heartbeatCommand;
      if (!acked || this.stopped) return;
      const revertS = this.revertSFor(acked.command);
      if (!(revertS > 0)) {
        this.heartbeatCommand = null;
        return;
      }
      this.scheduleHeartbeat();
      this.writeChain = this.writeChain.then(() => this.sendHeartbeat(acked, revertS));
    });
  }

  private async sendHeartbeat(acked: AckedCommand, revertS: number): Promise<void> {
    const session = this.session;
    const nodes = this.nodes;
    if (!this.linkUp || !session || !nodes?.heartbeat || this.heartbeatCommand !== acked) return;
    const writes = [
      ...(nodes.commandId ? [{ nodeId: nodes.commandId, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.String, value: acked.command.commandId } } }] : []),
      ...(nodes.revert ? [{ nodeId: nodes.revert, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: revertS } } }] : []),
      { nodeId: nodes.heartbeat, attributeId: AttributeIds.Value, value: { value: { dataType: DataType.UInt32, value: (this.heartbeatCount = (this.heartbeatCount + 1) >>> 0) } } },
    ];
    try {
      const statuses = await session.write(writes);
      const bad = statuses.find((s) => !s.isGood());
      if (bad && this.heartbeatCommand === acked) {
        this.stopHeartbeat();
        this.event('heartbeat-refused', 'warning', `heartbeat for ${acked.command.commandId} refused: ${statusText(bad)}; the setpoint reverts when its timeout passes`, {
          commandId: acked.command.commandId,
        });
      }
    } catch (err) {
      this.event('heartbeat-refused', 'warning', `heartbeat for ${acked.command.commandId} not delivered: ${(err as Error).message}`, { commandId: acked.command.commandId });
    }
  }

  /** Resolves once every write and heartbeat queued so far has been answered or given up (for tests, shutdown). */
  async drain(): Promise<void> {
    await this.writeChain.catch(() => undefined);
  }

  private event(type: LinkEventType, level: LinkEvent['level'], message: string, data?: Record<string, unknown>): void {
    const e: LinkEvent = { timeMs: this.opts.clock.nowMs(), type, level, message };
    if (data) e.data = data;
    this.opts.onLinkEvent?.(e);
  }
}
