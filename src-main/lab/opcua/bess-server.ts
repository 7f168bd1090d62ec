/**
 * The lab rig's OPC UA server for the community BESS: it plays the battery vendor's data-management backend
 * (I-04/I-06) so the EMS's real OPC UA connector can be exercised end to end against the simulated plant
 * (the lab wires `device` to `Plant.read('bess')` / `Plant.write('bess', …)`).
 *
 * ## Address space (namespace `urn:lfc:bess-rig`, object `BESS`, string node ids `BESS.<name>`)
 * SunSpec-flavoured names (models 802 battery / 123–124 storage controls). Powers are in **W, generator
 * frame** (positive = the battery discharges into the grid), as an inverter-side SunSpec device reports them;
 * the EMS's load frame (kW, positive = charging) is reached by the mapping's `scale` of -0.001.
 *
 * | node            | type     | access | meaning |
 * |-----------------|----------|--------|---------|
 * | `W`             | Double   | read   | active power, W, generator frame; published every `telemetryPeriodMs` with the device's timestamp |
 * | `SoC`           | Double   | read   | state of charge, % |
 * | `Status`        | String   | read   | the device's status text |
 * | `WSet`          | Double   | write  | active-power setpoint, W, generator frame. **Writing it commits the setpoint**: `device.write` is called once, with the `WSetEna`, `WSet_RvrtTms` and `CmdId` written before it (same Write request, earlier in the list). Reading it returns the device's setpoint in force (0 when released). |
 * | `WSetEna`       | Boolean  | write  | false = release the battery to its default behaviour (`device.write(null, …)`); reads whether a setpoint is in force |
 * | `WSet_RvrtTms`  | Double   | write  | revert timeout, s (SunSpec `…_RvrtTms`): the setpoint holds for this long after it (or its heartbeat) reaches the server, then the battery reverts to its default. Relative, so the EMS's and the device's clocks need not agree. Default `defaultRevertS`. |
 * | `CmdId`         | String   | write  | the EMS command a write or heartbeat belongs to; reads the command in force. A second commit with the command id already in force is acknowledged without applying it again (idempotent retry). |
 * | `Heartbeat`     | UInt32   | write  | any write re-arms the revert timer of the setpoint in force (same value, expiry = now + `WSet_RvrtTms`), provided `CmdId` names the command in force and it has not expired; otherwise `BadInvalidState`. |
 * | `SetpointExpiresAt` | DateTime | read | expiry of the setpoint in force (device clock), or null |
 * | `LastWriteError`| String   | read   | why the last refused write was refused ('' after a success) |
 *
 * Optionally (`breaker`), object `Breaker` with `P` (Double, kW, load frame) published every `breakerPeriodMs`.
 *
 * ## Status codes of a refused write
 * `BadRequestNotAllowed` the device refused the value (its reason in `LastWriteError`); `BadOutOfService` the
 * `rejectWrites` fault (battery in local mode); `BadNoCommunication` the `offline` fault; `BadTypeMismatch` a
 * value that is not a finite number (NaN setpoint) or of the wrong type.
 *
 * ## Security
 * Binds 127.0.0.1 only. Endpoints for the policies None, Basic256Sha256 and Aes128_Sha256_RsaOaep with the
 * modes None / Sign / SignAndEncrypt (both lists configurable). The server's certificate and trust lists live
 * in `pkiDir` (`own/`, `trusted/`, `rejected/`, … created on first start; never under `$HOME/.config`).
 * Client certificates are accepted on first use by default (`acceptUnknownClientCertificates`): the rig is a
 * test fixture; the trust decision that matters is the EMS's, about this server.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Namespace, StatusCode, UAObject, UAVariable } from 'node-opcua';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
} from 'node-opcua';

/** What the rig's BESS backend controls: the lab passes the plant's BESS, tests a small fake with a clock. */
export interface BessDevice {
  /** Power in kW, load frame (positive = charging), as everywhere in the EMS. */
  read(): { powerKw: number; socPct: number; setpointKw: number | null; status: string };
  /**
   * Applies a setpoint (kW, load frame) until `expiresMs` (device clock), or releases the battery (`null`).
   * `meta` tells which EMS command it belongs to and whether it only re-arms the expiry (heartbeat); the
   * plant ignores it, tests count on it.
   */
  write(setpointKw: number | null, expiresMs: number, meta?: { commandId: string | null; heartbeat: boolean }): { ok: true } | { ok: false; error: string };
  /** The device's clock (Unix ms): source timestamps and expiries are in it. */
  nowMs(): number;
}

export type RigSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';
export type RigSecurityPolicy = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep';

export interface BessRigFaults {
  /** The backend lost its battery: telemetry goes `BadNoCommunication`, writes are refused with it. */
  offline: boolean;
  /** The battery is in local mode: setpoint writes are refused with `BadOutOfService`. */
  rejectWrites: boolean;
  /** The backend publishes NaN for power and state of charge (status Good: a broken converter). */
  nanValues: boolean;
  /** The backend repeats its last telemetry values with fresh timestamps. */
  stuck: boolean;
  /** Every setpoint commit and heartbeat is answered this much later (ms, wall time). */
  slowWritesMs: number;
}

export interface BessOpcuaServerOptions {
  /** 0 (default) = a free port, chosen by the OS. */
  port?: number;
  host?: '127.0.0.1';
  device: BessDevice;
  /** Folder of the server's certificate and trust lists; created if missing. */
  pkiDir: string;
  securityModes?: RigSecurityMode[];
  securityPolicies?: RigSecurityPolicy[];
  users?: Array<{ username: string; password: string }>;
  /** Default: true when no users are given, false otherwise. */
  allowAnonymous?: boolean;
  /** Default true: a client certificate seen for the first time is trusted (see the module comment). */
  acceptUnknownClientCertificates?: boolean;
  /**
   * Telemetry publication period of `W`, `SoC`, `Status` (wall ms). Default 1000 (the BESS backend's 1 s).
   * 0: no timer; the owner publishes with `publishNow()` (the lab rig does, on its simulated clock).
   */
  telemetryPeriodMs?: number;
  /** Revert timeout when the client writes none. Default 60 s. */
  defaultRevertS?: number;
  /** Optional breaker meter published as `Breaker.P` (kW, load frame), e.g. for the latency bench. */
  breaker?: { read(): { powerKw: number } };
  breakerPeriodMs?: number;
}

export interface BessOpcuaServer {
  /** `opc.tcp://127.0.0.1:<port>` */
  endpointUrl: string;
  /** Namespace URI of the rig's nodes, for mappings (`nsu=urn:lfc:bess-rig;s=BESS.W`). */
  namespaceUri: string;
  /** SHA-1 thumbprint (hex) of the server's application certificate: what the EMS's operator accepts. */
  certificateThumbprint: string;
  stop(): Promise<void>;
  /** Stops and starts again on the same port with the same certificate (sessions are lost, like a reboot). */
  restart(): Promise<void>;
  setFault(f: Partial<BessRigFaults>): void;
  /** Publishes the telemetry now (besides the periodic publication). */
  publishNow(): void;
}

export const BESS_RIG_NAMESPACE_URI = 'urn:lfc:bess-rig';

const SECURITY_MODE: Record<RigSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};
const SECURITY_POLICY: Record<RigSecurityPolicy, SecurityPolicy> = {
  None: SecurityPolicy.None,
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
};

/** kW load frame → W generator frame, the rig's wire unit. */
const kwToWireW = (kw: number): number => -kw * 1000;
const wireWToKw = (w: number): number => -w / 1000;

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

interface CommandInForce {
  commandId: string | null;
  setpointKw: number;
  expiresMs: number;
}

/** Starts the rig's BESS server; resolves once it listens. */
export async function startBessOpcuaServer(opts: BessOpcuaServerOptions): Promise<BessOpcuaServer> {
  if (opts.host !== undefined && opts.host !== '127.0.0.1') throw new Error(`bess rig server: host must be 127.0.0.1, got ${String(opts.host)}`);
  const device = opts.device;
  const pkiDir = resolve(opts.pkiDir);
  mkdirSync(pkiDir, { recursive: true });
  const telemetryPeriodMs = opts.telemetryPeriodMs ?? 1000;
  if (!(telemetryPeriodMs >= 0)) throw new Error(`bess rig server: telemetryPeriodMs must be ≥ 0, got ${telemetryPeriodMs}`);
  const breakerPeriodMs = opts.breakerPeriodMs ?? 1000;
  const defaultRevertS = opts.defaultRevertS ?? 60;
  const users = opts.users ?? [];
  const allowAnonymous = opts.allowAnonymous ?? users.length === 0;

  const faults: BessRigFaults = { offline: false, rejectWrites: false, nanValues: false, stuck: false, slowWritesMs: 0 };
  // What the client wrote ahead of the WSet commit (single writer assumed: the rig serves one EMS).
  const pending = { enable: true, revertS: defaultRevertS, commandId: null as string | null };
  let inForce: CommandInForce | null = null;
  let lastWriteError = '';
  let lastTelemetry = { powerKw: 0, socPct: 0, status: '' };

  let port = opts.port ?? 0;
  let server: OPCUAServer | null = null;
  let certificateManager: OPCUACertificateManager | null = null;
  let timers: NodeJS.Timeout[] = [];
  let nodes: { w: UAVariable; soc: UAVariable; status: UAVariable; breakerP: UAVariable | null } | null = null;

  const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  /** The device's setpoint in force, or null (released or expired). */
  const setpointInForce = (): CommandInForce | null => {
    const reading = device.read();
    if (reading.setpointKw === null) return null;
    if (inForce && device.nowMs() < inForce.expiresMs) return inForce;
    return { commandId: null, setpointKw: reading.setpointKw, expiresMs: NaN };
  };

  const refuse = (status: StatusCode, why: string): StatusCode => {
    lastWriteError = why;
    return status;
  };

  const commitSetpoint = async (value: Variant): Promise<StatusCode> => {
    // What was written ahead of this commit in the same request, before another request can change it.
    const ahead = { ...pending };
    if (faults.slowWritesMs > 0) await delay(faults.slowWritesMs);
    if (faults.offline) return refuse(StatusCodes.BadNoCommunication, 'backend has lost the battery (fault injected)');
    if (faults.rejectWrites) return refuse(StatusCodes.BadOutOfService, 'battery in local mode: remote setpoints refused (fault injected)');
    const wireW = Number(value.value);
    if (value.dataType !== DataType.Double && value.dataType !== DataType.Float) return refuse(StatusCodes.BadTypeMismatch, `WSet expects a Double, got ${DataType[value.dataType]}`);
    if (ahead.enable && !Number.isFinite(wireW)) return refuse(StatusCodes.BadTypeMismatch, `WSet must be a finite number, got ${wireW}`);
    if (!(ahead.revertS > 0)) return refuse(StatusCodes.BadOutOfRange, `WSet_RvrtTms must be > 0 s, got ${ahead.revertS}`);
    const setpointKw = ahead.enable ? wireWToKw(wireW) : null;
    const commandId = ahead.commandId;
    // An idempotent retry: the same command, already in force with the same value, is not applied twice.
    const current = setpointInForce();
    if (commandId !== null && current && current.commandId === commandId && current.setpointKw === setpointKw) return StatusCodes.Good;
    const expiresMs = device.nowMs() + ahead.revertS * 1000;
    const result = device.write(setpointKw, expiresMs, { commandId, heartbeat: false });
    if (!result.ok) return refuse(StatusCodes.BadRequestNotAllowed, result.error);
    inForce = setpointKw === null ? null : { commandId, setpointKw, expiresMs };
    lastWriteError = '';
    return StatusCodes.Good;
  };

  const heartbeat = async (): Promise<StatusCode> => {
    const ahead = { ...pending };
    if (faults.slowWritesMs > 0) await delay(faults.slowWritesMs);
    if (faults.offline) return refuse(StatusCodes.BadNoCommunication, 'backend has lost the battery (fault injected)');
    if (faults.rejectWrites) return refuse(StatusCodes.BadOutOfService, 'battery in local mode: remote setpoints refused (fault injected)');
    const current = setpointInForce();
    if (!current || current.commandId === null || current.commandId !== ahead.commandId) {
      return refuse(StatusCodes.BadInvalidState, `heartbeat for command ${ahead.commandId ?? '(none)'}, but ${current?.commandId ?? 'no EMS command'} is in force`);
    }
    const expiresMs = device.nowMs() + ahead.revertS * 1000;
    const result = device.write(current.setpointKw, expiresMs, { commandId: current.commandId, heartbeat: true });
    if (!result.ok) return refuse(StatusCodes.BadRequestNotAllowed, result.error);
    inForce = { ...current, expiresMs };
    return StatusCodes.Good;
  };

  const publishTelemetry = (): void => {
    if (!nodes) return;
    const sourceTimestamp = new Date(device.nowMs());
    if (faults.offline) {
      for (const n of [nodes.w, nodes.soc]) n.setValueFromSource(new Variant({ dataType: DataType.Double, value: NaN }), StatusCodes.BadNoCommunication, sourceTimestamp);
      return;
    }
    if (!faults.stuck) {
      const r = device.read();
      lastTelemetry = { powerKw: r.powerKw, socPct: r.socPct, status: r.status };
    }
    const powerW = faults.nanValues ? NaN : kwToWireW(lastTelemetry.powerKw);
    const socPct = faults.nanValues ? NaN : lastTelemetry.socPct;
    nodes.w.setValueFromSource(new Variant({ dataType: DataType.Double, value: powerW }), StatusCodes.Good, sourceTimestamp);
    nodes.soc.setValueFromSource(new Variant({ dataType: DataType.Double, value: socPct }), StatusCodes.Good, sourceTimestamp);
    nodes.status.setValueFromSource(new Variant({ dataType: DataType.String, value: lastTelemetry.status }), StatusCodes.Good, sourceTimestamp);
  };

  const publishBreaker = (): void => {
    if (!nodes?.breakerP || !opts.breaker) return;
    nodes.breakerP.setValueFromSource(new Variant({ dataType: DataType.Double, value: opts.breaker.read().powerKw }), StatusCodes.Good, new Date(device.nowMs()));
  };

  const buildAddressSpace = (ns: Namespace, objectsFolder: UAObject): void => {
    const bess = ns.addObject({ organizedBy: objectsFolder, browseName: 'BESS', nodeId: 's=BESS' });
    const plain = (name: string, dataType: 'Double' | 'String', initial: Variant, description: string): UAVariable =>
      ns.addVariable({ componentOf: bess, browseName: name, nodeId: `s=BESS.${name}`, dataType, description, value: initial, minimumSamplingInterval: 0 });
    const w = plain('W', 'Double', new Variant({ dataType: DataType.Double, value: 0 }), 'Active power, W, generator frame (positive = discharging)');
    const soc = plain('SoC', 'Double', new Variant({ dataType: DataType.Double, value: 0 }), 'State of charge, %');
    const status = plain('Status', 'String', new Variant({ dataType: DataType.String, value: '' }), 'Device status');
    const writable = (
      name: string,
      dataType: 'Double' | 'Boolean' | 'String' | 'UInt32' | 'DateTime',
      description: string,
      get: () => Variant,
      set?: (v: Variant) => StatusCode | Promise<StatusCode>,
    ): UAVariable =>
      ns.addVariable({
        componentOf: bess,
        browseName: name,
        nodeId: `s=BESS.${name}`,
        dataType,
        description,
        accessLevel: set ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
        userAccessLevel: set ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
        minimumSamplingInterval: 100,
        value: set ? { get, set: set as (v: Variant) => Promise<StatusCode> } : { get },
      });
    writable(
      'WSet',
      'Double',
      'Active-power setpoint, W, generator frame; writing it commits the setpoint',
      () => new Variant({ dataType: DataType.Double, value: kwToWireW(setpointInForce()?.setpointKw ?? 0) }),
      (v) => commitSetpoint(v),
    );
    writable(
      'WSetEna',
      'Boolean',
      'false = release the battery to its default behaviour; reads whether a setpoint is in force',
      () => new Variant({ dataType: DataType.Boolean, value: setpointInForce() !== null }),
      (v) => {
        pending.enable = Boolean(v.value);
        return StatusCodes.Good;
      },
    );
    writable(
      'WSet_RvrtTms',
      'Double',
      'Revert timeout, s: the setpoint holds this long after its last write or heartbeat',
      () => new Variant({ dataType: DataType.Double, value: pending.revertS }),
      (v) => {
        const s = Number(v.value);
        if (!Number.isFinite(s) || s <= 0) return refuse(StatusCodes.BadOutOfRange, `WSet_RvrtTms must be a number > 0 s, got ${String(v.value)}`);
        pending.revertS = s;
        return StatusCodes.Good;
      },
    );
    writable(
      'CmdId',
      'String',
      'EMS command the next commit or heartbeat belongs to; reads the command in force',
      () => new Variant({ dataType: DataType.String, value: setpointInForce()?.commandId ?? '' }),
      (v) => {
        pending.commandId = typeof v.value === 'string' && v.value !== '' ? v.value : null;
        return StatusCodes.Good;
      },
    );
    let heartbeatCount = 0;
    writable(
      'Heartbeat',
      'UInt32',
      'Any write re-arms the revert timer of the setpoint in force (CmdId must name it)',
      () => new Variant({ dataType: DataType.UInt32, value: heartbeatCount }),
      async (v) => {
        heartbeatCount = Number(v.value) >>> 0;
        return heartbeat();
      },
    );
    writable('SetpointExpiresAt', 'DateTime', 'Expiry of the setpoint in force (device clock)', () => {
      const c = setpointInForce();
      return new Variant({ dataType: DataType.DateTime, value: c && Number.isFinite(c.expiresMs) ? new Date(c.expiresMs) : null });
    });
    writable('LastWriteError', 'String', 'Why the last refused write was refused', () => new Variant({ dataType: DataType.String, value: lastWriteError }));
    let breakerP: UAVariable | null = null;
    if (opts.breaker) {
      const breaker = ns.addObject({ organizedBy: objectsFolder, browseName: 'Breaker', nodeId: 's=Breaker' });
      breakerP = ns.addVariable({
        componentOf: breaker,
        browseName: 'P',
        nodeId: 's=Breaker.P',
        dataType: 'Double',
        description: 'Active power at the MV/LV breaker, kW, load frame (positive = import)',
        value: new Variant({ dataType: DataType.Double, value: 0 }),
        minimumSamplingInterval: 0,
      });
    }
    nodes = { w, soc, status, breakerP };
  };

  const start = async (): Promise<void> => {
    certificateManager = new OPCUACertificateManager({
      rootFolder: join(pkiDir, 'server'),
      automaticallyAcceptUnknownCertificate: opts.acceptUnknownClientCertificates ?? true,
      name: 'PKI',
    });
    await certificateManager.initialize();
    const userCertificateManager = new OPCUACertificateManager({ rootFolder: join(pkiDir, 'user'), automaticallyAcceptUnknownCertificate: false, name: 'UserPKI' });
    await userCertificateManager.initialize();
    const s = new OPCUAServer({
      port,
      host: '127.0.0.1',
      hostname: '127.0.0.1',
      serverCertificateManager: certificateManager,
      userCertificateManager,
      securityModes: (opts.securityModes ?? ['None', 'Sign', 'SignAndEncrypt']).map((m) => SECURITY_MODE[m]),
      securityPolicies: (opts.securityPolicies ?? ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep']).map((p) => SECURITY_POLICY[p]),
      allowAnonymous,
      userManager: {
        isValidUser: (username: string, password: string) => {
          const u = users.find((x) => x.username === username);
          return u !== undefined && timingSafeEqual(sha256(u.password), sha256(password));
        },
      },
      serverInfo: { applicationUri: 'urn:lfc:lab:bess-rig', productUri: 'urn:lfc:lab:bess-rig', applicationName: { text: 'LFC lab BESS rig' } },
      buildInfo: { productName: 'LFC lab BESS rig', manufacturerName: 'Local Flex Controller' },
      isAuditing: false,
      disableDiscovery: false,
    });
    await s.initialize();
    const addressSpace = s.engine.addressSpace;
    if (!addressSpace) throw new Error('bess rig server: no address space after initialize()');
    const ns = addressSpace.registerNamespace(BESS_RIG_NAMESPACE_URI);
    buildAddressSpace(ns, addressSpace.rootFolder.objects);
    await s.start();
    server = s;
    port = s.endpoints[0]!.port;
    publishTelemetry();
    publishBreaker();
    timers = telemetryPeriodMs > 0 ? [setInterval(publishTelemetry, telemetryPeriodMs)] : [];
    if (opts.breaker) timers.push(setInterval(publishBreaker, breakerPeriodMs));
  };

  const stop = async (): Promise<void> => {
    for (const t of timers) clearInterval(t);
    timers = [];
    const s = server;
    server = null;
    nodes = null;
    if (s) await s.shutdown(0);
    if (certificateManager) await certificateManager.dispose();
    certificateManager = null;
  };

  await start();
  const thumbprint = await serverThumbprint(server!);
  return {
    endpointUrl: `opc.tcp://127.0.0.1:${port}`,
    namespaceUri: BESS_RIG_NAMESPACE_URI,
    certificateThumbprint: thumbprint,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    setFault: (f) => {
      Object.assign(faults, f);
      publishTelemetry();
    },
    publishNow: publishTelemetry,
  };
}

async function serverThumbprint(server: OPCUAServer): Promise<string> {
  const der = server.getCertificate();
  return createHash('sha1').update(der).digest('hex');
}
