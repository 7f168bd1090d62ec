/**
 * The connector against a server nobody on the team wrote: node-opcua-samples' `simple_server`, fetched by
 * `scripts/fetch-opcua-samples.mjs` (cached under test-results/opcua-samples/), run as its own process on a
 * free loopback port with a throw-away XDG_CONFIG_HOME, over SignAndEncrypt with a username login.
 * Skipped (with a message) only when the npm registry cannot be reached to fetch it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { SetpointAck } from '../../../src-main/engine/model.js';
import { OpcuaBessConnector, UntrustedServerCertificateError } from '../../../src-main/connectors/opcua/bess-client.js';
import { loadBessMapping } from '../../../src-main/connectors/opcua/mapping.js';
import { EventLog, newClock, nextReport, tempDir } from './fake-bess.js';

const root = join(import.meta.dirname, '../../..');
const mapping = loadBessMapping(join(root, 'resources/opcua/simple-server-mapping.json'));

interface Fetched {
  serverScript: string;
  preload: string;
  nodePath: string;
}

function fetchSamples(): Promise<{ ok: true; fetched: Fetched } | { ok: false; unreachable: boolean; message: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'scripts/fetch-opcua-samples.mjs')], { timeout: 240_000 }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, fetched: JSON.parse(stdout.trim().split('\n').at(-1)!) as Fetched });
      resolve({ ok: false, unreachable: (err as { code?: number }).code === 3, message: `${stderr}`.trim() || err.message });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startSimpleServer(f: Fetched, port: number, xdg: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', f.preload, f.serverScript, '--port', String(port), '--silent'], {
      env: { ...process.env, XDG_CONFIG_HOME: xdg, NODE_PATH: f.nodePath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const guard = setTimeout(() => reject(new Error(`simple_server did not start within 40 s:\n${output.slice(-2000)}`)), 40_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('server now waiting for connections')) {
        clearTimeout(guard);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`simple_server exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
}

describe("OPC UA link: connector ↔ node-opcua-samples' simple_server", () => {
  const xdg = tempDir('simple-server-xdg');
  const clientPki = tempDir('ems-pki');
  let fetched: Fetched | null = null;
  let skipReason = '';
  let child: ChildProcess | null = null;
  let endpointUrl = '';

  beforeAll(async () => {
    const result = await fetchSamples();
    if (!result.ok) {
      if (!result.unreachable) throw new Error(`could not set up node-opcua-samples: ${result.message}`);
      skipReason = `SKIPPED: the npm registry is unreachable, so node-opcua-samples cannot be fetched (${result.message.split('\n')[0]})`;
      console.warn(skipReason);
      return;
    }
    fetched = result.fetched;
    const port = await freePort();
    child = await startSimpleServer(fetched, port, xdg.path);
    endpointUrl = `opc.tcp://127.0.0.1:${port}`;
  }, 300_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    xdg.remove();
    clientPki.remove();
  });

  it('reads telemetry and writes a setpoint with read-back, over SignAndEncrypt with a username', async (ctx) => {
    if (!fetched) return ctx.skip(skipReason);
    const clock = newClock();
    const log = new EventLog();
    const connector = new OpcuaBessConnector({
      endpointUrl,
      assetId: 'bess',
      mapping,
      pkiDir: clientPki.path,
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      user: { username: 'user1', password: 'password1' },
      clock,
      samplingIntervalMs: 100,
      onLinkEvent: log.onLinkEvent,
    });
    try {
      const first = await connector.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(first).toBeInstanceOf(UntrustedServerCertificateError);
      await connector.acceptServerCertificate((first as UntrustedServerCertificateError).thumbprint);
      await connector.start();
      // This server cannot make setpoints expire; the connector says so.
      expect((await log.waitFor('no-expiry')).level).toBe('warning');

      // FanSpeed (1000 ± 50) × 0.1 → ~100 kW; Pressure (0..1) × 100 → %. The sample server starts Pressure
      // at 10.0 and only then draws Math.random() every second, so wait for its first drawn value.
      const report = await nextReport(connector, (r) => r.socPct !== undefined && r.socPct <= 100);
      expect(report.powerKw).toBeGreaterThanOrEqual(95);
      expect(report.powerKw).toBeLessThanOrEqual(105);
      expect(report.socPct).toBeGreaterThanOrEqual(0);
      expect(report.socPct).toBeLessThanOrEqual(100);
      expect(Math.abs(report.sampleMs - Date.now())).toBeLessThan(60_000);

      for (const [commandId, powerKw] of [
        ['s1', 42.5],
        ['s2', -17.25],
      ] as const) {
        const ack = await new Promise<SetpointAck>((resolve) =>
          connector.write({ commandId, assetId: 'bess', issuedMs: clock.nowMs(), powerKw, expiresMs: clock.nowMs() + 60_000, runId: null }, resolve),
        );
        expect(ack).toMatchObject({ commandId, ok: true });
        expect(ack.readBack!.powerKw).toBeGreaterThanOrEqual(95);
      }
    } finally {
      await connector.stop();
    }
  });
});
