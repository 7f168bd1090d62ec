/**
 * What every device link (OPC UA, Modbus/SunSpec) needs to fit into the runtime, written once:
 * - its link events become connector events in the runtime's event stream (and so in the record): lost
 *   links, bad values, refused heartbeats, writes left unacknowledged;
 * - every write is traced (real ms on the wire, outcome) like the REST connectors' writes.
 */
import type { LinkEvent } from '../connectors/opcua/bess-client.js';
import type { ConnectorContext, ConnectorEventType } from '../connectors/rest/connector-context.js';
import type { AssetReport, SetpointAck, SetpointCommand } from '../engine/model.js';
import type { AssetTelemetry, SetpointSink } from '../engine/ports.js';
import type { AssetConnector } from './field-connectors.js';

/**
 * Which runtime event a link event is, if it is one the runtime logs (lifecycle chatter is not; an untrusted
 * certificate is logged once the trust decision is made, by the OPC UA factory).
 */
const RUNTIME_EVENT: Partial<Record<LinkEvent['type'], ConnectorEventType>> = {
  disconnected: 'connector-error',
  'bad-value': 'connector-error',
  'heartbeat-refused': 'connector-error',
  'login-refused': 'connector-error',
  'no-expiry': 'connector-error',
  error: 'connector-error',
  'write-timeout': 'connector-no-ack',
  'write-not-sent': 'connector-no-ack',
  'device-unreachable': 'connector-no-ack',
  restored: 'connector-restored',
  'value-restored': 'connector-restored',
  'subscription-recreated': 'server-restart-detected',
};

const NO_ACK_LINK_EVENTS = new Set<LinkEvent['type']>(['write-timeout', 'write-not-sent', 'device-unreachable']);

export interface DeviceLinkWiring {
  /** Give this to the connector as its `onLinkEvent`. */
  onLinkEvent(e: LinkEvent): void;
  /** The runtime's `AssetConnector` over the started connector: traced writes, `close` = `stop`. */
  wrap(connector: AssetTelemetry & SetpointSink & { stop(): Promise<void> }): AssetConnector;
}

export function wireDeviceLink(o: { ctx: ConnectorContext; name: string; assetId: string; wallNowMs?: () => number; onLinkEvent?: (e: LinkEvent) => void }): DeviceLinkWiring {
  const { ctx, name, assetId } = o;
  const wallNow = o.wallNowMs ?? (() => performance.now());
  /** Writes in flight: command id → what the trace needs when the answer (or its absence) is known. */
  const inFlight = new Map<string, { cmd: SetpointCommand; wall0: number }>();
  const trace = (commandId: string, outcome: 'ack' | 'rejected' | 'no-ack') => {
    const w = inFlight.get(commandId);
    if (!w) return;
    inFlight.delete(commandId);
    ctx.onWriteTrace?.({ commandId, assetId: w.cmd.assetId, connector: name, issuedMs: w.cmd.issuedMs, answeredMs: ctx.clock.nowMs(), wireWallMs: wallNow() - w.wall0, attempts: 1, outcome });
  };
  return {
    onLinkEvent: (e) => {
      o.onLinkEvent?.(e);
      const commandId = typeof e.data?.commandId === 'string' ? e.data.commandId : null;
      if (commandId && NO_ACK_LINK_EVENTS.has(e.type)) trace(commandId, 'no-ack');
      const type = RUNTIME_EVENT[e.type];
      if (!type) return;
      ctx.onEvent({ timeMs: e.timeMs, type, level: e.level, connector: name, assetId, message: `${name}: ${e.message}`, data: { link: e.type, ...(e.data ?? {}) } });
    },
    wrap: (connector) => ({
      subscribe: (listener: (r: AssetReport) => void) => connector.subscribe(listener),
      write: (cmd: SetpointCommand, onAck: (ack: SetpointAck) => void) => {
        inFlight.set(cmd.commandId, { cmd, wall0: wallNow() });
        connector.write(cmd, (ack) => {
          trace(cmd.commandId, ack.ok ? 'ack' : 'rejected');
          onAck(ack);
        });
      },
      close: () => connector.stop(),
    }),
  };
}
