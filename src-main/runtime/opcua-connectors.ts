/**
 * The `opcua` factory of `buildFieldConnectors`: turns an OPC UA asset binding of the connector
 * configuration into a started `OpcuaBessConnector`, and fits it into the runtime (`link-connector.ts`:
 * link events into the runtime's event stream, traced writes) —
 * - an untrusted server certificate is put to the caller's `trustServer` decision, with its thumbprint:
 *   only an explicit yes accepts it (trust on first use, never silently). Without a decision the start
 *   fails with the thumbprint, for the operator to check and accept.
 *
 * Timings (`timing`) are the connector's: sampling and publishing in real (server) ms, heartbeat and write
 * timeout in EMS-clock ms, the revert timeout in device seconds. The lab scales them with its speed
 * (`labOpcuaTiming`); in the field the connector's defaults hold.
 */
import type { ConnectorConfig, SecretResolver } from '../connectors/config/connector-config.js';
import { OpcuaBessConnector, UntrustedServerCertificateError, type LinkEvent, type OpcuaBessConnectorOptions } from '../connectors/opcua/bess-client.js';
import type { BessNodeMapping } from '../connectors/opcua/mapping.js';
import type { ConnectorContext } from '../connectors/rest/connector-context.js';
import type { AssetConnector } from './field-connectors.js';
import { wireDeviceLink } from './link-connector.js';

export type OpcuaBinding = Extract<ConnectorConfig['assets'][number], { via: 'opcua' }>;

export type OpcuaTiming = Pick<OpcuaBessConnectorOptions, 'samplingIntervalMs' | 'publishingIntervalMs' | 'heartbeatPeriodMs' | 'revertS' | 'writeTimeoutMs' | 'keepAliveIntervalMs' | 'reconnect'>;

export interface OpcuaFactoryOptions {
  ctx: ConnectorContext;
  secrets: SecretResolver;
  mapping: BessNodeMapping;
  /** The EMS's PKI folder, unless the binding names its own (`pkiDir`). */
  pkiDir: string;
  timing?: OpcuaTiming;
  securityMode?: OpcuaBessConnectorOptions['securityMode'];
  securityPolicy?: OpcuaBessConnectorOptions['securityPolicy'];
  /**
   * Asked once when the server presents a certificate the EMS's PKI does not trust yet. True accepts it
   * (moves it to `trusted/`) and connects; false (or no function) refuses: the start fails with the thumbprint.
   */
  trustServer?: (certificate: { endpointUrl: string; thumbprint: string; subject: string }) => boolean | Promise<boolean>;
  /** Every link event as the connector reports it (the runtime gets the mapped ones anyway). */
  onLinkEvent?: (binding: OpcuaBinding, event: LinkEvent) => void;
  /** Real milliseconds, for the wire time of a write (performance.now by default). */
  wallNowMs?: () => number;
}

/** The factory `buildFieldConnectors` calls for each `via: "opcua"` binding (the BESS: one member). */
export function opcuaConnectorFactory(o: OpcuaFactoryOptions): (binding: OpcuaBinding, memberIds: string[]) => Promise<AssetConnector> {
  return async (binding, memberIds) => {
    if (memberIds.length !== 1) throw new Error(`asset "${binding.asset}": an OPC UA link serves one device, but the asset has ${memberIds.length} members`);
    const assetId = memberIds[0]!;
    const { ctx } = o;
    const name = `${binding.asset} (OPC UA)`;
    const secret = (n: string | undefined, what: string): string | undefined => {
      if (n === undefined) return undefined;
      const v = o.secrets(n);
      if (!v) throw new Error(`asset "${binding.asset}": secret ${n} (${what}) is not set`);
      return v;
    };
    const username = secret(binding.userSecret, 'OPC UA user name');
    const password = secret(binding.passwordSecret, 'OPC UA password');
    if ((username === undefined) !== (password === undefined)) throw new Error(`asset "${binding.asset}": userSecret and passwordSecret go together`);
    const link = wireDeviceLink({ ctx, name, assetId, ...(o.wallNowMs ? { wallNowMs: o.wallNowMs } : {}), onLinkEvent: (e) => o.onLinkEvent?.(binding, e) });
    const onLinkEvent = link.onLinkEvent;

    const connector = new OpcuaBessConnector({
      endpointUrl: binding.endpointUrl,
      assetId,
      mapping: o.mapping,
      pkiDir: binding.pkiDir ?? o.pkiDir,
      clock: ctx.clock,
      ...(o.securityMode ? { securityMode: o.securityMode } : {}),
      ...(o.securityPolicy ? { securityPolicy: o.securityPolicy } : {}),
      ...(username !== undefined && password !== undefined ? { user: { username, password } } : {}),
      ...(o.timing ?? {}),
      onLinkEvent,
    });
    try {
      await connector.start();
    } catch (err) {
      if (!(err instanceof UntrustedServerCertificateError)) throw err;
      const yes = o.trustServer ? await o.trustServer({ endpointUrl: err.endpointUrl, thumbprint: err.thumbprint, subject: err.subject }) : false;
      if (!yes) {
        ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'connector-error', level: 'error', connector: name, assetId, message: `${name}: ${err.message}`, data: { link: 'certificate-untrusted', thumbprint: err.thumbprint, subject: err.subject } });
        throw err;
      }
      await connector.acceptServerCertificate(err.thumbprint);
      await connector.start();
    }

    return link.wrap(connector);
  };
}
