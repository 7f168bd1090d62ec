/**
 * One way to read a command line for every command (`npm run replay | lab | ems | serve | scenarios |
 * verify-log`): `node:util` `parseArgs` (strict: an unknown option or a missing value is an error), `-h` /
 * `--help` on every command printing its usage to stdout (exit 0), and every problem as a `UsageError`
 * that names the option and the value and ends with the usage (exit 2). The value checks below say what
 * was expected and what was given, the same way in every command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `-h` / `--help`: the caller prints `usage` to stdout and exits 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super(usage);
    this.name = 'HelpRequested';
  }
}

/**
 * The one help format: `usage: npm run <command> -- <synopsis>`, then one row per option (its flag, then
 * what it does; a description's further lines aligned under its first), ending with `-h, --help`.
 */
export function usageText(command: string, synopsis: string, options: ReadonlyArray<readonly [flag: string, description: string]>): string {
  const rows: ReadonlyArray<readonly [string, string]> = [...options, ['-h, --help', 'this text']];
  const width = 22;
  const pad = ' '.repeat(2 + width);
  const lines = rows.flatMap(([flag, description]) => {
    const [first = '', ...rest] = description.split('\n');
    const head = flag.length + 2 > width ? [`  ${flag}`, `${pad}${first}`] : [`  ${flag.padEnd(width)}${first}`];
    return [...head, ...rest.map((l) => `${pad}${l}`)];
  });
  return [`usage: npm run ${command} -- ${synopsis}`, ...lines].join('\n');
}

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;
type HelpOption = { help: { type: 'boolean'; short: 'h' } };
export type ParsedCommandLine<O extends CommandOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O & HelpOption; strict: true; allowPositionals: true }>>;

/**
 * Parses `argv` with `options` (plus `-h`/`--help`), at most `maxPositionals` positional arguments.
 * Throws `HelpRequested` for help and `UsageError` (with the usage appended) for anything wrong.
 */
export function parseCommandLine<O extends CommandOptions>(argv: string[], options: O, usage: string, maxPositionals = 0): ParsedCommandLine<O> {
  const config = { args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } } as O & HelpOption, strict: true as const, allowPositionals: true as const };
  let parsed: ParsedCommandLine<O>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested(usage);
  if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}\n${usage}`);
  return parsed;
}

/** A number > 0 (or ≥ `min` when given). */
export function positiveNumber(option: string, text: string, min?: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (min === undefined ? n <= 0 : n < min)) throw new UsageError(`${option}: expected ${min === undefined ? 'a positive number' : `a number ≥ ${min}`}, got ${JSON.stringify(text)}`);
  return n;
}

/** A whole number in [min, max]. */
export function wholeNumber(option: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`${option}: expected a whole number ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}…${max}`}, got ${JSON.stringify(text)}`);
  return n;
}

/** An ISO 8601 date-time, as Unix ms. */
export function isoTime(option: string, text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`${option}: expected an ISO 8601 date-time, got ${JSON.stringify(text)}`);
  return ms;
}

/** One of the listed words. */
export function oneOf<T extends string>(option: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${option}: expected ${allowed.slice(0, -1).join(', ')}${allowed.length > 1 ? ' or ' : ''}${allowed.at(-1)}, got ${JSON.stringify(text)}`);
  return text as T;
}
