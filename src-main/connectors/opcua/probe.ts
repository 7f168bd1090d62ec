/**
 * The console's "Test" of an OPC UA connection, and its view of the EMS's PKI (as UaExpert shows them):
 *
 * 1. reach: an unsecured discovery connection lists the server's endpoints;
 * 2. certificate: the endpoint of the configured mode and policy, its server certificate (subject, issuer,
 *    SHA-1 and SHA-256 thumbprints, validity) and whether the EMS's PKI trusts it. An untrusted one is filed
 *    under `rejected/` (node-opcua's way) so the operator can trust it after comparing the thumbprint;
 * 3. secure-channel: a connection with that mode and policy;
 * 4. login: a session as the configured user (or anonymous);
 * 5. read: one read of the state of charge (else the power) through the node mapping, with its round trip.
 *
 * The test stops at the first step that fails and says which and why. It never writes anything.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointDescription, OPCUACertificateManager } from 'node-opcua';
import { AttributeIds, MessageSecurityMode, OPCUAClient, UserTokenType } from 'node-opcua';
import type { CertificateInfo, ConnectionTestResult, ConnectionTestStep, PkiState } from '../../shared/ipc-contract.js';
import { SECURITY_MODE, SECURITY_POLICY, type OpcuaSecurityMode, type OpcuaSecurityPolicy } from './bess-client.js';
import type { BessNodeMapping } from './mapping.js';
import { resolveNodeIdText } from './mapping.js';
import { acceptRejectedCertificate, certificateThumbprint, leafCertificate, openClientPki } from './pki.js';

export interface OpcuaProbeOptions {
  endpointUrl: string;
  securityMode: OpcuaSecurityMode;
  securityPolicy: OpcuaSecurityPolicy;
  pkiDir: string;
  /** The login; `label` is what messages say instead of the user name (which the site keeps as a secret). */
  user?: { username: string; password: string; label?: string };
  mapping: BessNodeMapping;
  /**
   * SHA-1 thumbprints the site file vouches for (`opcua.trustedThumbprints`): such a certificate is trusted
   * into the PKI on first contact, as the field EMS itself does.
   */
  vouchedThumbprints?: readonly string[];
  /** Real ms each step may take (default 5000). */
  stepTimeoutMs?: number;
  applicationName?: string;
}

export type OpcuaProbeResult = Omit<ConnectionTestResult, 'id'>;

/** A DER certificate as the console shows it. */
export function describeCertificate(der: Buffer): CertificateInfo {
  const x = new X509Certificate(der);
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    sha1: certificateThumbprint(der),
    sha256: x.fingerprint256.replace(/:/g, '').toLowerCase(),
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: new Date(x.validTo).toISOString(),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function probeOpcua(o: OpcuaProbeOptions): Promise<OpcuaProbeResult> {
  const url = o.endpointUrl;
  const stepMs = o.stepTimeoutMs ?? 5000;
  const policy: OpcuaSecurityPolicy = o.securityMode === 'None' ? 'None' : o.securityPolicy;
  const steps: ConnectionTestStep[] = [];
  const opcua: NonNullable<ConnectionTestResult['opcua']> = {
    securityMode: o.securityMode,
    securityPolicy: policy,
    certificate: null,
    login: null,
    socPct: null,
  };
  let latencyMs: number | null = null;
  const fail = (step: ConnectionTestStep['step'], detail: string): OpcuaProbeResult => {
    steps.push({ step, ok: false, detail });
    return { ok: false, message: `${url}: ${detail}`, steps, latencyMs, opcua };
  };
  const appName = o.applicationName ?? 'LocalFlexController';
  // Closing never hangs the test: each clean-up gets a step's time, then is left to node-opcua.
  const quietly = (p: Promise<unknown>) => withTimeout(p, stepMs, 'clean-up').catch(() => undefined);

  // 1. reach: the endpoints, over an unsecured discovery connection (with a PKI manager of its own:
  // node-opcua disposes a client's manager when the client disconnects).
  const discoveryPki = await openClientPki(o.pkiDir);
  const discovery = OPCUAClient.create({ applicationName: appName, clientCertificateManager: discoveryPki, endpointMustExist: false, connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 } });
  let endpoints: EndpointDescription[];
  const t0 = performance.now();
  try {
    await withTimeout(discovery.connect(url), stepMs, 'connect');
    endpoints = await withTimeout(discovery.getEndpoints(), stepMs, 'GetEndpoints');
  } catch (err) {
    return fail('reach', `cannot reach the server: ${(err as Error).message}`);
  } finally {
    await quietly(discovery.disconnect());
    await quietly(discoveryPki.dispose());
  }
  const pki = await openClientPki(o.pkiDir);
  try {
    return await secured();
  } finally {
    await quietly(pki.dispose());
  }

  async function secured(): Promise<OpcuaProbeResult> {
    steps.push({ step: 'reach', ok: true, detail: `${endpoints.length} endpoints in ${Math.round(performance.now() - t0)} ms` });

    // 2. certificate: the configured endpoint's, against the PKI.
    const endpoint = endpoints.find((e) => e.securityMode === SECURITY_MODE[o.securityMode] && e.securityPolicyUri === SECURITY_POLICY[policy]);
    if (!endpoint) {
      const offered = endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${(e.securityPolicyUri ?? '').split('#')[1] ?? e.securityPolicyUri}`).join(', ');
      return fail('certificate', `the server offers no ${o.securityMode}/${policy} endpoint (it offers: ${offered})`);
    }
    if (o.securityMode !== 'None') {
      if (!endpoint.serverCertificate || endpoint.serverCertificate.length === 0) return fail('certificate', 'the endpoint presents no server certificate');
      const leaf = leafCertificate(endpoint.serverCertificate);
      const info = describeCertificate(leaf);
      const status = await pki.isCertificateTrusted(leaf);
      const vouched = status !== 'Good' && (o.vouchedThumbprints ?? []).some((t) => t.toLowerCase() === info.sha1);
      if (vouched) await pki.trustCertificate(leaf);
      const trusted = status === 'Good' || vouched;
      opcua.certificate = { ...info, trusted };
      if (!trusted) {
        // Filed under rejected/, so that "Trust" can move it once the operator has checked the thumbprint.
        await pki.rejectCertificate(leaf).catch(() => undefined);
        return fail('certificate', `the server certificate ${info.sha1} (${info.subject}) is not trusted (${status}): compare its thumbprint with the device's, then trust it`);
      }
      steps.push({ step: 'certificate', ok: true, detail: `${vouched ? 'trusted now (vouched for in the site file)' : 'trusted'}: ${info.subject}, SHA-1 ${info.sha1}, valid to ${info.validTo}` });
    } else {
      steps.push({ step: 'certificate', ok: true, detail: 'security None: no certificate (the link is neither signed nor encrypted)' });
    }

    // 3–5. secure channel, login, one read.
    const client = OPCUAClient.create({
      applicationName: appName,
      clientCertificateManager: pki,
      securityMode: SECURITY_MODE[o.securityMode],
      securityPolicy: SECURITY_POLICY[policy],
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    });
    try {
      try {
        await withTimeout(client.connect(url), stepMs, 'secure channel');
      } catch (err) {
        return fail('secure-channel', `no ${o.securityMode}/${policy} channel: ${(err as Error).message}`);
      }
      steps.push({ step: 'secure-channel', ok: true, detail: `${o.securityMode}, ${policy}` });
      const as = o.user ? (o.user.label ?? 'the configured user') : 'anonymous';
      let session;
      const creating = client.createSession(o.user ? { type: UserTokenType.UserName, userName: o.user.username, password: o.user.password } : { type: UserTokenType.Anonymous });
      try {
        session = await withTimeout(creating, stepMs, 'session');
      } catch (err) {
        // A session that opens after its time is up is closed at once, not left on the server.
        void creating.then((late) => late.close(true)).catch(() => undefined);
        opcua.login = { as, ok: false };
        return fail('login', `login as ${as} refused: ${(err as Error).message}`);
      }
      opcua.login = { as, ok: true };
      steps.push({ step: 'login', ok: true, detail: `session open as ${as}` });
      try {
        const namespaces = await withTimeout(session.readNamespaceArray(), stepMs, 'namespace array');
        const node = o.mapping.telemetry.socPct ?? o.mapping.telemetry.powerKw;
        const what = o.mapping.telemetry.socPct ? 'state of charge' : 'power';
        const nodeId = resolveNodeIdText(node.nodeId, namespaces);
        const r0 = performance.now();
        const dv = await withTimeout(session.read({ nodeId, attributeId: AttributeIds.Value }), stepMs, `read ${node.nodeId}`);
        latencyMs = Math.round((performance.now() - r0) * 10) / 10;
        if (!dv.statusCode.isGood()) return fail('read', `${what} (${node.nodeId}) read ${dv.statusCode.name}`);
        const value = Number(dv.value.value) * node.scale;
        if (!Number.isFinite(value)) return fail('read', `${what} (${node.nodeId}) is not a number: ${String(dv.value.value)}`);
        if (o.mapping.telemetry.socPct) opcua.socPct = value;
        steps.push({ step: 'read', ok: true, detail: `${what} ${value.toFixed(1)} ${o.mapping.telemetry.socPct ? '%' : 'kW'} in ${latencyMs} ms` });
      } catch (err) {
        return fail('read', (err as Error).message);
      } finally {
        await quietly(session.close(true));
      }
    } finally {
      await quietly(client.disconnect());
    }
    const cert = opcua.certificate ? `, certificate SHA-1 ${opcua.certificate.sha1}` : '';
    return { ok: true, message: `${url}: reached (${o.securityMode}, ${policy}${cert}), ${opcua.login!.as} logged in, ${steps.at(-1)!.detail}`, steps, latencyMs, opcua };
  }
}

/** The certificates (PEM or DER) in one folder, described; unreadable files are skipped. */
function certificatesIn(folder: string): Array<{ info: CertificateInfo; der: Buffer }> {
  if (!existsSync(folder)) return [];
  const out: Array<{ info: CertificateInfo; der: Buffer }> = [];
  for (const file of readdirSync(folder).sort()) {
    if (!/\.(pem|der)$/i.test(file)) continue;
    try {
      const bytes = readFileSync(join(folder, file));
      const der = file.toLowerCase().endsWith('.pem') ? Buffer.from(new X509Certificate(bytes).raw) : bytes;
      out.push({ info: describeCertificate(der), der });
    } catch {
      // not a certificate
    }
  }
  return out;
}

/** Opens the PKI for one piece of work and always disposes of it (its folder watchers) afterwards. */
async function withPki<T>(pkiDir: string, fn: (m: OPCUACertificateManager) => Promise<T>): Promise<T> {
  const m = await openClientPki(pkiDir);
  try {
    return await fn(m);
  } finally {
    await m.dispose().catch(() => undefined);
  }
}

export function pkiState(pkiDir: string): Promise<PkiState> {
  return withPki(pkiDir, async (m) => {
    const own = certificatesIn(join(m.rootDir, 'own', 'certs'));
    return {
      pkiDir: m.rootDir,
      trustedDir: m.trustedFolder,
      rejectedDir: m.rejectedFolder,
      ownCertificate: own[0]?.info ?? null,
      trusted: certificatesIn(m.trustedFolder).map((c) => c.info),
      rejected: certificatesIn(m.rejectedFolder).map((c) => c.info),
    };
  });
}

/** Trusts a refused server certificate by its SHA-1 thumbprint (UaExpert's "Trust"). */
export async function trustCertificate(pkiDir: string, sha1: string): Promise<PkiState> {
  await withPki(pkiDir, (m) => acceptRejectedCertificate(m, sha1));
  return pkiState(pkiDir);
}

/** Moves a trusted server certificate back to the refused ones by its SHA-1 thumbprint. */
export async function rejectCertificate(pkiDir: string, sha1: string): Promise<PkiState> {
  await withPki(pkiDir, async (m) => {
    const wanted = sha1.replace(/[:\s]/g, '').toLowerCase();
    const hit = certificatesIn(m.trustedFolder).find((c) => c.info.sha1 === wanted);
    if (!hit) throw new Error(`no trusted server certificate with thumbprint ${wanted} in ${m.trustedFolder}`);
    await m.rejectCertificate(hit.der);
  });
  return pkiState(pkiDir);
}
