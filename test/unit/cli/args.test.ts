import { describe, expect, it } from 'vitest';

import { HelpRequested, isoTime, oneOf, parseCommandLine, positiveNumber, UsageError, wholeNumber } from '../../../src-main/cli/args.js';
import { parseLabArgs } from '../../../src-main/cli/lab.js';
import { parseReplayArgs } from '../../../src-main/cli/replay.js';
import { parseServeArgs } from '../../../src-main/serve/main.js';

const USAGE = 'usage: npm run x -- <file> [--n N]';

describe('parseCommandLine', () => {
  it('reads options and positionals, strictly, with help on every command', () => {
    expect(parseCommandLine(['f.json', '--n', '3'], { n: { type: 'string' } }, USAGE, 1)).toMatchObject({ values: { n: '3' }, positionals: ['f.json'] });
    expect(() => parseCommandLine(['--n'], { n: { type: 'string' } }, USAGE)).toThrow(UsageError);
    expect(() => parseCommandLine(['--bogus'], {}, USAGE)).toThrow(/Unknown option '--bogus'[\s\S]*usage: npm run x/);
    expect(() => parseCommandLine(['a', 'b'], {}, USAGE, 1)).toThrow(/unexpected argument "b"/);
    expect(() => parseCommandLine(['-h'], {}, USAGE)).toThrow(HelpRequested);
    expect(() => parseCommandLine(['--help'], {}, USAGE)).toThrow(HelpRequested);
  });

  it('checks values the same way in every command: what was expected, what was given', () => {
    expect(positiveNumber('--speed', '2.5')).toBe(2.5);
    expect(() => positiveNumber('--speed', '0')).toThrow('--speed: expected a positive number, got "0"');
    expect(() => positiveNumber('--speed', '0.5', 1)).toThrow('--speed: expected a number ≥ 1, got "0.5"');
    expect(wholeNumber('--port', '8080', 0, 65535)).toBe(8080);
    expect(() => wholeNumber('--port', '70000', 0, 65535)).toThrow('--port: expected a whole number in 0…65535, got "70000"');
    expect(() => isoTime('--from', 'yesterday')).toThrow('--from: expected an ISO 8601 date-time, got "yesterday"');
    expect(() => oneOf('--bess-via', 'can', ['opcua', 'modbus', 'rest'])).toThrow('--bess-via: expected opcua, modbus or rest, got "can"');
  });

  it('the commands use it: lab, replay and serve refuse alike and take help alike', () => {
    expect(parseLabArgs(['s.json', '--speed', '30', '--bess-via', 'modbus'])).toMatchObject({ scenarioPath: 's.json', speed: 30, bessVia: 'modbus' });
    expect(() => parseLabArgs(['s.json', '--speed', 'fast'])).toThrow('--speed: expected a positive number, got "fast"');
    expect(parseReplayArgs(['s.json', '--out', 'o', '--controller', 'bound'])).toMatchObject({ controller: 'bound', speed: 'max', timeLimitS: 30 });
    expect(() => parseReplayArgs(['s.json', '--out', 'o', '--controller', 'pid'])).toThrow('--controller: expected lfc, deadbeat, oracle or bound, got "pid"');
    expect(parseServeArgs(['--port', '0', '--speed', 'max'])).toMatchObject({ port: 0, speed: 'max' });
    expect(() => parseServeArgs(['--speed', '0.5'])).toThrow('--speed: expected a number ≥ 1, got "0.5"');
    for (const parse of [() => parseLabArgs(['-h']), () => parseReplayArgs(['--help']), () => parseServeArgs(['-h'])]) expect(parse).toThrow(HelpRequested);
  });
});

describe('one help format', () => {
  it('every command prints `usage: npm run <command> -- …`, one row per option, ending with -h, --help', async () => {
    const { USAGE: ems } = await import('../../../src-main/cli/ems.js');
    const { USAGE: lab } = await import('../../../src-main/cli/lab.js');
    const { USAGE: fleet } = await import('../../../src-main/cli/fleet.js');
    const help = (parse: () => unknown): string => {
      try {
        parse();
      } catch (e) {
        if (e instanceof HelpRequested) return e.usage;
      }
      throw new Error('no help');
    };
    const texts: Record<string, string> = { ems, lab, fleet, replay: help(() => parseReplayArgs(['-h'])), serve: help(() => parseServeArgs(['--help'])) };
    for (const [command, text] of Object.entries(texts)) {
      const lines = text.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^usage: npm run ${command} -- \\S`));
      expect(lines.at(-1)).toBe(`  ${'-h, --help'.padEnd(22)}this text`);
      // Every row is a flag at two spaces, or a description continued at the one column.
      for (const l of lines.slice(1)) expect(l).toMatch(/^ {2}-\S|^ {24}\S/);
    }
  });
});
