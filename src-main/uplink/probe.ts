/**
 * The Test of the fleet uplink (Settings → Connections), as the OPC UA, REST and Modbus probes test theirs:
 * one step at a time, stopping at the first that fails, each saying what it found —
 *
 * 1. `reach`: a TCP connection to the broker's host and port (a name that does not resolve, a refused
 *    port and a timeout are told apart);
 * 2. `secure-channel` (mqtts only): the TLS handshake with the site file's CA, client certificate and key,
 *    and the broker's certificate (subject, issuer, SHA-256, validity) or why it was refused;
 * 3. `login`: an MQTT 5 CONNECT with the site's user and password, its CONNACK (a refused login names the
 *    broker's reason code), then a clean DISCONNECT.
 *
 * Nothing is published or subscribed. The test connects under a client id of its own (`lfc-test-…`): the
 * EMS's (`lfc-ems-<siteId>`) would take over the running uplink's session.
 */
import { randomBytes } from 'node:crypto';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import mqtt, { type IClientOptions } from 'mqtt';
import type { ConnectionTestResult, ConnectionTestStep } from '../shared/ipc-contract';
import type { UplinkLinkConfig } from './publisher';

export type UplinkProbeResult = Omit<ConnectionTestResult, 'id'>;

/** MQTT 5 CONNACK reason codes a broker refuses a login with (MQTT 5.0, 3.2.2.2). */
const CONNACK_REASONS: Record<number, string> = {
  128: 'unspecified error',
  129: 'malformed packet',
  130: 'protocol error',
  131: 'implementation specific error',
  132: 'unsupported protocol version',
  133: 'client identifier not valid',
  134: 'bad user name or password',
  135: 'not authorized',
  136: 'server unavailable',
  137: 'server busy',
  138: 'banned',
  140: 'bad authentication method',
  149: 'packet too large',
  151: 'quota exceeded',
  153: 'payload format invalid',
  156: 'use another server',
  159: 'connection rate exceeded',
};

/** `mqtt://h:1883` → host, port, tls. */
export function brokerAddress(url: string): { host: string; port: number; tls: boolean } {
  const u = new URL(url);
  const tls = u.protocol === 'mqtts:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port ? Number(u.port) : tls ? 8883 : 1883, tls };
}

function reachError(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the name ${host} does not resolve (${err.code})`;
    case 'ECONNREFUSED':
      return `${host}:${port} refused the connection: nothing listens there (is the broker running, the port right?)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${host} cannot be reached from here (${err.code})`;
    case 'ETIMEDOUT':
      return `no answer from ${host}:${port} (a firewall, or the wrong host)`;
    default:
      return `${host}:${port}: ${err.code ?? ''} ${err.message}`.trim();
  }
}

function tlsError(err: NodeJS.ErrnoException, hasCa: boolean): string {
  const code = err.code ?? '';
  if (/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF/.test(code)) {
    return `the broker's certificate is not trusted (${code})${hasCa ? ': the CA file given did not sign it' : ': give the CA that signed it as tls.caFile'}`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the broker's certificate is not for this host name (${err.message})`;
  if (code === 'CERT_HAS_EXPIRED') return "the broker's certificate has expired";
  if (code === 'CERT_NOT_YET_VALID') return "the broker's certificate is not valid yet (check this machine's clock)";
  if (/wrong version number|ECONNRESET/i.test(`${code} ${err.message}`)) return `no TLS on this port (${code || err.message}): is it a plain mqtt:// listener?`;
  if (/certificate required|alert (bad|unknown) certificate|handshake failure/i.test(err.message)) return `the broker refused this EMS's client certificate (${err.message}): check tls.certFile and tls.keyFile`;
  return `TLS failed: ${code ? `${code}: ` : ''}${err.message}`;
}

function certText(c: PeerCertificate): string {
  const cn = (x: PeerCertificate['subject'] | undefined) => (x ? (Array.isArray(x.CN) ? x.CN.join(', ') : x.CN) || Object.values(x).join(', ') : '?');
  return `certificate ${cn(c.subject)}, issued by ${cn(c.issuer)}, valid to ${c.valid_to}, SHA-256 ${(c.fingerprint256 ?? '').replace(/:/g, '').toLowerCase()}`;
}

/** Tests the link for real: reach, TLS (mqtts), login; disconnects cleanly. Never throws. */
export async function probeUplink(link: UplinkLinkConfig, timeoutMs = 5_000): Promise<UplinkProbeResult> {
  const steps: ConnectionTestStep[] = [];
  const result = (ok: boolean, message: string, latencyMs: number | null = null): UplinkProbeResult => ({ ok, message, steps, latencyMs, opcua: null });
  let addr: ReturnType<typeof brokerAddress>;
  try {
    addr = brokerAddress(link.url);
  } catch {
    steps.push({ step: 'reach', ok: false, detail: `not an MQTT URL: ${link.url}` });
    return result(false, `not an MQTT URL: ${link.url}`);
  }
  const { host, port } = addr;

  // 1. Reach: plain TCP.
  const reached = await new Promise<{ ok: true; ms: number } | { ok: false; why: string }>((done) => {
    const t0 = performance.now();
    const s = netConnect({ host, port });
    s.setTimeout(timeoutMs, () => s.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    s.once('connect', () => {
      s.destroy();
      done({ ok: true, ms: Math.round(performance.now() - t0) });
    });
    s.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, why: reachError(err, host, port) }));
  });
  if (!reached.ok) {
    steps.push({ step: 'reach', ok: false, detail: reached.why });
    return result(false, `uplink: ${reached.why}`);
  }
  steps.push({ step: 'reach', ok: true, detail: `${host}:${port} reached (TCP, ${reached.ms} ms)` });

  // 2. TLS, for mqtts: the handshake on its own, so its failure is told apart from a refused login.
  const tls = link.tls;
  if (addr.tls) {
    const hs = await new Promise<{ ok: true; detail: string } | { ok: false; why: string }>((done) => {
      const s = tlsConnect({
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(tls?.ca ? { ca: tls.ca } : {}),
        ...(tls?.cert ? { cert: tls.cert } : {}),
        ...(tls?.key ? { key: tls.key } : {}),
        rejectUnauthorized: tls?.rejectUnauthorized !== false,
      });
      s.setTimeout(timeoutMs, () => s.destroy(Object.assign(new Error('no TLS handshake within the timeout'), { code: 'ETIMEDOUT' })));
      s.once('secureConnect', () => {
        const cert = s.getPeerCertificate();
        const trusted = s.authorized ? 'trusted' : `NOT checked (rejectUnauthorized false: ${String(s.authorizationError ?? 'untrusted')})`;
        const detail = `${s.getProtocol() ?? 'TLS'}, ${cert && cert.subject ? certText(cert) : 'no certificate'}; ${trusted}${tls?.cert ? '; client certificate offered' : ''}`;
        s.end();
        s.destroy();
        done({ ok: true, detail });
      });
      s.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, why: tlsError(err, Boolean(tls?.ca)) }));
    });
    if (!hs.ok) {
      steps.push({ step: 'secure-channel', ok: false, detail: hs.why });
      return result(false, `uplink: ${hs.why}`);
    }
    steps.push({ step: 'secure-channel', ok: true, detail: hs.detail });
  }

  // 3. Login: CONNECT / CONNACK, then DISCONNECT.
  const as = link.username !== undefined ? `user ${link.username}` : 'anonymous';
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: `lfc-test-${link.siteId}-${randomBytes(3).toString('hex')}`.slice(0, 64),
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    ...(link.username !== undefined ? { username: link.username } : {}),
    ...(link.password !== undefined ? { password: link.password } : {}),
    ...(tls?.ca ? { ca: tls.ca } : {}),
    ...(tls?.cert ? { cert: tls.cert } : {}),
    ...(tls?.key ? { key: tls.key } : {}),
    ...(tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
  const t0 = performance.now();
  const client = mqtt.connect(link.url, options);
  const login = await new Promise<{ ok: true; ms: number } | { ok: false; why: string }>((done) => {
    const timer = setTimeout(() => done({ ok: false, why: `no CONNACK within ${timeoutMs / 1000} s: is it an MQTT broker?` }), timeoutMs + 500);
    const finish = (r: { ok: true; ms: number } | { ok: false; why: string }) => {
      clearTimeout(timer);
      done(r);
    };
    client.once('connect', () => finish({ ok: true, ms: Math.round(performance.now() - t0) }));
    client.once('error', (err: Error & { code?: number | string }) => {
      const code = typeof err.code === 'number' ? err.code : null;
      const reason = code !== null ? CONNACK_REASONS[code] : undefined;
      finish({ ok: false, why: code !== null ? `the broker refused the login as ${as}: ${reason ?? err.message} (reason ${code})` : `MQTT CONNECT failed: ${err.message}` });
    });
    client.once('close', () => finish({ ok: false, why: `the broker closed the connection before it accepted the login as ${as}` }));
  });
  client.removeAllListeners();
  client.on('error', () => {});
  await client.endAsync().catch(() => undefined);
  if (!login.ok) {
    steps.push({ step: 'login', ok: false, detail: login.why });
    return result(false, `uplink: ${login.why}`);
  }
  steps.push({ step: 'login', ok: true, detail: `CONNACK: accepted as ${as} (MQTT 5, ${login.ms} ms); disconnected` });
  return result(true, `uplink: ${link.url} accepts this site (${as}${addr.tls ? ', TLS' : ''}) as ${link.siteId}`, login.ms);
}
