import { describe, expect, it } from 'vitest';
import { parseFleetArgs } from '../../../src-main/cli/fleet';
import { UsageError } from '../../../src-main/cli/args';
import { parseEmsArgs } from '../../../src-main/cli/ems';
import { dayPartition, MIGRATIONS } from '../../../src-main/fleet/schema';


describe('npm run fleet arguments', () => {
  it('needs --mqtt and --postgres, checks them, and reads the rest', () => {
    expect(parseFleetArgs(['--mqtt', 'mqtt://127.0.0.1:1883', '--postgres', 'postgres://u@h/db'])).toEqual({ mqttUrl: 'mqtt://127.0.0.1:1883', postgresUrl: 'postgres://u@h/db', reportS: 10 });
    expect(parseFleetArgs(['-h'])).toBe('help');
    expect(() => parseFleetArgs(['--postgres', 'postgres://u@h/db'])).toThrow(/--mqtt is required/);
    expect(() => parseFleetArgs(['--mqtt', 'http://x', '--postgres', 'postgres://u@h/db'])).toThrow(UsageError);
    expect(() => parseFleetArgs(['--mqtt', 'mqtt://x', '--postgres', 'mysql://x'])).toThrow(/--postgres: expected postgres:/);
  });
});

describe('npm run ems --uplink', () => {
  it('takes an MQTT URL and refuses anything else, naming the option', () => {
    expect(parseEmsArgs(['--site', '/x/site.json', '--uplink', 'mqtt://127.0.0.1:1883'])).toMatchObject({ uplinkUrl: 'mqtt://127.0.0.1:1883' });
    expect(parseEmsArgs(['--site', '/x/site.json'])).not.toHaveProperty('uplinkUrl');
    expect(() => parseEmsArgs(['--site', '/x/site.json', '--uplink', 'broker:1883'])).toThrow(/--uplink: expected an MQTT URL/);
  });
});

describe('the fleet schema', () => {
  it('numbers its migrations in order, and names a day partition by its UTC day', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(dayPartition(Date.parse('2026-06-21T23:59:59.999Z'))).toEqual({ name: 'measurements_p20260621', fromIso: '2026-06-21T00:00:00.000Z', toIso: '2026-06-22T00:00:00.000Z', dayStartMs: Date.parse('2026-06-21T00:00:00Z') });
  });
});
