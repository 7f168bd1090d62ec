/**
 * Node mapping of the BESS OPC UA connector: which server variables carry the battery's power, state of
 * charge and setpoint, and how their values convert into the EMS's units and sign convention (kW, load
 * frame: positive = charging). A vendor backend names and scales things its own way; the mapping is the one
 * place that knows. It is a JSON file validated with zod, so a typo is reported with its path in the file.
 *
 * Node ids are written either with a namespace index (`ns=2;s=BESS.W`) or, preferably, with the namespace
 * URI (`nsu=urn:lfc:bess-rig;s=BESS.W`), which the connector resolves against the server's namespace array
 * after every (re)connection: indices may change when a server restarts, URIs do not.
 *
 * `scale` converts a raw value into EMS units: `emsValue = raw × scale`, and for writes `raw = emsValue / scale`.
 * A backend reporting W in the generator frame (positive = discharging) has `scale: -0.001`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const nodeIdText = z
  .string()
  .regex(/^(nsu=[^;]+;|ns=\d+;)?[isgb]=.+$/, 'expected an OPC UA node id such as "ns=2;s=BESS.W" or "nsu=urn:x;s=BESS.W"');

const scaledNode = z.object({
  nodeId: nodeIdText,
  scale: z.number().finite().refine((v) => v !== 0, 'scale must not be 0').default(1),
});

const plainNode = z.object({ nodeId: nodeIdText });

export const bessMappingSchema = z
  .object({
    /** Free text: which server this mapping is for. */
    description: z.string().default(''),
    telemetry: z.object({
      /** Active power → kW, load frame. */
      powerKw: scaledNode,
      /** State of charge → %. */
      socPct: scaledNode.optional(),
      /** Status text, for the link log only. */
      status: plainNode.optional(),
    }),
    setpoint: z.object({
      /** Setpoint → kW, load frame. Writing it commits the setpoint. */
      powerKw: scaledNode.extend({ dataType: z.enum(['Double', 'Float']).default('Double') }),
      /** Boolean: false releases the battery to its default. Without it, a release (`null`) writes 0 kW. */
      enable: plainNode.optional(),
      /** Revert timeout in seconds, written before every commit and heartbeat. Without it setpoints do not expire on the device. */
      revertTimeS: plainNode.optional(),
      /** String: the EMS command id, written before every commit and heartbeat. */
      commandId: plainNode.optional(),
      /** UInt32 counter: writing it re-arms the revert timer of the setpoint in force. */
      heartbeat: plainNode.optional(),
      /** Where the setpoint in force is read back; default: the `powerKw` node itself. */
      readBack: scaledNode.optional(),
      /** String: the device's reason for the last refused write, quoted in a refused acknowledgement. */
      lastError: plainNode.optional(),
    }),
  })
  .strict();

export type BessNodeMapping = z.infer<typeof bessMappingSchema>;
export type BessNodeMappingInput = z.input<typeof bessMappingSchema>;

/** Validates a mapping object; throws an error naming `source` and every bad field. */
export function parseBessMapping(value: unknown, source = 'mapping'): BessNodeMapping {
  const result = bessMappingSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new Error(`${source}: invalid OPC UA node mapping\n${issues}`);
  }
  return result.data;
}

/** Reads and validates a mapping file (JSON). */
export function loadBessMapping(path: string): BessNodeMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read the OPC UA node mapping: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: the OPC UA node mapping is not valid JSON: ${(err as Error).message}`);
  }
  return parseBessMapping(json, path);
}

/**
 * Turns `nsu=<uri>;<id>` into `ns=<index>;<id>` using the server's namespace array; other forms pass through.
 * Throws when the server does not know the namespace (a mapping meant for another server).
 */
export function resolveNodeIdText(nodeId: string, namespaceArray: readonly string[]): string {
  const m = /^nsu=([^;]+);(.+)$/.exec(nodeId);
  if (!m) return nodeId;
  const index = namespaceArray.indexOf(m[1]!);
  if (index < 0) throw new Error(`node ${nodeId}: the server has no namespace ${m[1]} (it has: ${namespaceArray.join(', ')})`);
  return `ns=${index};${m[2]}`;
}
