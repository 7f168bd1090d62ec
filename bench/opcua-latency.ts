/**
 * Control-loop latency over loopback OPC UA: the rig's BESS server (which also publishes a breaker meter,
 * `Breaker.P`) and the EMS's `OpcuaBessConnector`, SignAndEncrypt / Basic256Sha256, in one process.
 *
 * One cycle: the rig publishes a breaker value (its source timestamp = the rig's publish time) → the EMS
 * side receives it through an OPC UA subscription → writes a BESS setpoint through the connector (commit +
 * read-back) → the acknowledgement arrives.
 * - `received → acked`: EMS-side, breaker sample received → setpoint acknowledged (goal p99 < 10 ms).
 * - `published → acked`: rig publish time → acknowledged (goal p99 < 50 ms). It includes the wait for the
 *   subscription's next publish cycle, so it depends on the publishing interval, reported in each row.
 *   node-opcua's server floor is 50 ms (`Subscription.minimumPublishingInterval`); the first row keeps it,
 *   the second lowers the rig's floor to 20 ms (a server-side setting a vendor backend may or may not offer).
 *
 * A breaker sample that arrives while the previous cycle's write is still in flight is not written (the EMS
 * writes at most one setpoint at a time); the row counts them as `skipped`.
 *
 * Run alone: `npx tsx bench/opcua-latency.ts` prints the table and writes `bench/results/opcua-latency.json`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { DataValue } from 'node-opcua';
import { AttributeIds, DataChangeFilter, DataChangeTrigger, MessageSecurityMode, OPCUAClient, SecurityPolicy, Subscription, TimestampsToReturn } from 'node-opcua';

import { OpcuaBessConnector, UntrustedServerCertificateError } from '../src-main/connectors/opcua/bess-client';
import { loadBessMapping } from '../src-main/connectors/opcua/mapping';
import type { Clock } from '../src-main/engine/clock';
import { WallClock } from '../src-main/engine/wall-clock';
import type { SetpointAck } from '../src-main/engine/model';
import type { BessDevice } from '../src-main/lab/opcua/bess-server';
import { BESS_RIG_NAMESPACE_URI, startBessOpcuaServer } from '../src-main/lab/opcua/bess-server';

type Row = Record<string, string | number>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Sub-millisecond epoch time, for both the rig's timestamps and the EMS's. */
const nowMs = (): number => performance.timeOrigin + performance.now();

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

async function measure(cycles: number, publishingIntervalMs: number, workDir: string): Promise<Row[]> {
  const floorBefore = Subscription.minimumPublishingInterval;
  Subscription.minimumPublishingInterval = Math.min(floorBefore, publishingIntervalMs);
  let setpointKw: number | null = null;
  let expiresMs = 0;
  const device: BessDevice = {
    nowMs,
    read: () => ({ powerKw: setpointKw ?? 0, socPct: 50, setpointKw: nowMs() < expiresMs ? setpointKw : null, status: 'ok' }),
    write: (kw, exp) => {
      setpointKw = kw;
      expiresMs = exp;
      return { ok: true };
    },
  };
  let breakerKw = 0;
  const server = await startBessOpcuaServer({
    device,
    pkiDir: join(workDir, 'rig'),
    securityModes: ['None', 'SignAndEncrypt'],
    securityPolicies: ['None', 'Basic256Sha256'],
    breaker: { read: () => ({ powerKw: (breakerKw += 0.5) }) },
    breakerPeriodMs: publishingIntervalMs,
    telemetryPeriodMs: 1000,
  });
  const clock: Clock = new WallClock({ now: nowMs, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });
  const connector = new OpcuaBessConnector({
    endpointUrl: server.endpointUrl,
    assetId: 'bess',
    mapping: loadBessMapping(join(root, 'resources/opcua/sunspec-bess.json')),
    pkiDir: join(workDir, 'ems'),
    securityMode: 'SignAndEncrypt',
    securityPolicy: 'Basic256Sha256',
    clock,
    samplingIntervalMs: 1000,
    heartbeatPeriodMs: 0,
  });
  await connector.start().catch(async (err: unknown) => {
    if (!(err instanceof UntrustedServerCertificateError)) throw err;
    await connector.acceptServerCertificate(err.thumbprint);
    await connector.start();
  });

  // The EMS's breaker meter: a second session subscribing to Breaker.P (the BESS connector serves the BESS only).
  const meterClient = OPCUAClient.create({ endpointMustExist: false, securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None, connectionStrategy: { maxRetry: 0 } });
  await meterClient.connect(server.endpointUrl);
  const meterSession = await meterClient.createSession();
  const ns = (await meterSession.readNamespaceArray()).indexOf(BESS_RIG_NAMESPACE_URI);
  const subscription = await meterSession.createSubscription2({ requestedPublishingInterval: publishingIntervalMs, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 600, publishingEnabled: true });
  const item = await subscription.monitor(
    { nodeId: `ns=${ns};s=Breaker.P`, attributeId: AttributeIds.Value },
    { samplingInterval: 0, queueSize: 10, discardOldest: true, filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValueTimestamp }) },
    TimestampsToReturn.Both,
  );

  const receivedToAck: number[] = [];
  const publishedToAck: number[] = [];
  let skipped = 0;
  let refused = 0;
  let busy = false;
  let seq = 0;
  const warmup = 20;
  const actualPublishingMs = subscription.publishingInterval;
  await new Promise<void>((resolveDone) => {
    item.on('changed', (dv: DataValue) => {
      const receivedMs = nowMs();
      const publishedMs = dv.sourceTimestamp?.getTime() ?? NaN;
      if (busy) {
        skipped++;
        return;
      }
      busy = true;
      const commandId = `b${++seq}`;
      connector.write({ commandId, assetId: 'bess', issuedMs: receivedMs, powerKw: -(dv.value.value as number), expiresMs: receivedMs + 30_000, runId: 'bench' }, (ack: SetpointAck) => {
        busy = false;
        if (!ack.ok) refused++;
        else if (seq > warmup) {
          receivedToAck.push(ack.ackMs - receivedMs);
          publishedToAck.push(ack.ackMs - publishedMs);
        }
        if (receivedToAck.length >= cycles) resolveDone();
      });
    });
  });

  await subscription.terminate();
  await meterSession.close();
  await meterClient.disconnect();
  await connector.stop();
  await server.stop();
  Subscription.minimumPublishingInterval = floorBefore;

  const row = (name: string, goalMs: number, values: number[]): Row => {
    const sorted = [...values].sort((a, b) => a - b);
    const p99 = quantile(sorted, 0.99);
    return {
      path: name,
      publishingMs: actualPublishingMs,
      cycles: values.length,
      p50Ms: round2(quantile(sorted, 0.5)),
      p99Ms: round2(p99),
      maxMs: round2(sorted.at(-1) ?? NaN),
      goalP99Ms: goalMs,
      verdict: p99 < goalMs ? 'ok' : 'MISSED',
      skipped,
      refused,
    };
  };
  return [row('breaker received → setpoint acked', 10, receivedToAck), row('breaker published → setpoint acked', 50, publishedToAck)];
}

/** Runs the control-loop latency bench; `cycles` per configuration (default 1000). */
export async function benchOpcuaLatency(opts: { cycles?: number } = {}): Promise<Array<Record<string, string | number>>> {
  const cycles = opts.cycles ?? 1000;
  const workDir = mkdtempSync(join(tmpdir(), 'lfc-opcua-bench-'));
  try {
    const rows: Row[] = [];
    for (const publishingIntervalMs of [50, 20]) rows.push(...(await measure(cycles, publishingIntervalMs, workDir)));
    return rows;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cyclesArg = process.argv.indexOf('--cycles');
  const rows = await benchOpcuaLatency(cyclesArg >= 0 ? { cycles: Number(process.argv[cyclesArg + 1]) } : {});
  console.table(rows);
  const out = join(root, 'bench/results/opcua-latency.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
  console.log(`written ${out}`);
  process.exit(0);
}
