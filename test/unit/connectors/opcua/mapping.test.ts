import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBessMapping, parseBessMapping, resolveNodeIdText } from '../../../../src-main/connectors/opcua/mapping.js';
import { certificateThumbprint, leafCertificate } from '../../../../src-main/connectors/opcua/pki.js';

const resources = join(import.meta.dirname, '../../../../resources/opcua');

describe('BESS node mapping', () => {
  it('loads both bundled mappings', () => {
    const rig = loadBessMapping(join(resources, 'sunspec-bess.json'));
    expect(rig.telemetry.powerKw).toEqual({ nodeId: 'nsu=urn:lfc:bess-rig;s=BESS.W', scale: -0.001 });
    expect(rig.setpoint.heartbeat?.nodeId).toBe('nsu=urn:lfc:bess-rig;s=BESS.Heartbeat');
    const sample = loadBessMapping(join(resources, 'simple-server-mapping.json'));
    expect(sample.setpoint.revertTimeS).toBeUndefined();
    expect(sample.setpoint.powerKw.dataType).toBe('Double');
  });

  it.each([
    [{ telemetry: { powerKw: { nodeId: 'W' } }, setpoint: { powerKw: { nodeId: 'ns=1;s=WSet' } } }, /telemetry\.powerKw\.nodeId: expected an OPC UA node id/],
    [{ telemetry: { powerKw: { nodeId: 'ns=1;s=W', scale: 0 } }, setpoint: { powerKw: { nodeId: 'ns=1;s=WSet' } } }, /telemetry\.powerKw\.scale: scale must not be 0/],
    [{ telemetry: { powerKw: { nodeId: 'ns=1;s=W' } } }, /setpoint: /],
    [{ telemetry: { powerKw: { nodeId: 'ns=1;s=W' } }, setpoint: { powerKw: { nodeId: 'ns=1;s=WSet' } }, extra: 1 }, /extra|Unrecognized/],
  ])('refuses a bad mapping with the path of the bad field (%#)', (value, message) => {
    expect(() => parseBessMapping(value, 'my-mapping.json')).toThrow(/^my-mapping\.json: invalid OPC UA node mapping/);
    expect(() => parseBessMapping(value, 'my-mapping.json')).toThrow(message);
  });

  it('names the file when it is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lfc-mapping-'));
    try {
      const file = join(dir, 'broken.json');
      writeFileSync(file, '{ "telemetry": ');
      expect(() => loadBessMapping(file)).toThrow(/broken\.json: the OPC UA node mapping is not valid JSON/);
      expect(() => loadBessMapping(join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves namespace URIs against the server, and refuses an unknown one', () => {
    const ns = ['http://opcfoundation.org/UA/', 'urn:server', 'urn:lfc:bess-rig'];
    expect(resolveNodeIdText('nsu=urn:lfc:bess-rig;s=BESS.W', ns)).toBe('ns=2;s=BESS.W');
    expect(resolveNodeIdText('ns=1;s=FanSpeed', ns)).toBe('ns=1;s=FanSpeed');
    expect(() => resolveNodeIdText('nsu=urn:other;s=X', ns)).toThrow(/no namespace urn:other/);
  });
});

describe('PKI helpers', () => {
  it('takes the leaf of a DER chain and fingerprints it with SHA-1', () => {
    // Two fake DER "certificates" (SEQUENCE, long-form length) concatenated.
    const a = Buffer.concat([Buffer.from([0x30, 0x81, 0x03]), Buffer.from([1, 2, 3])]);
    const b = Buffer.from([0x30, 0x02, 9, 9]);
    expect(leafCertificate(Buffer.concat([a, b]))).toEqual(a);
    expect(leafCertificate(b)).toEqual(b);
    expect(certificateThumbprint(Buffer.from('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(() => leafCertificate(Buffer.from([1, 2]))).toThrow(/not a DER certificate/);
  });
});
