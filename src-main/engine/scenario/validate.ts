/**
 * Parsing and validating a scenario file's text. Pure: the caller reads the file.
 *
 * Everything wrong with a file is reported at once (a user fixing one error per run would hate us), and a
 * file with any error yields no scenario at all: nothing half-loads. Messages are our own, naming the path,
 * the value found and what was expected, because zod's default English ("Invalid input") helps nobody
 * find the line in their file.
 *
 * Cross-field checks run on the raw JSON next to the zod checks, each one only when the fields it relates
 * are themselves well-formed (so a malformed time never produces a second, confusing "end before start").
 */
import type { z } from 'zod';
import { scenarioTriggers, triggerIssues } from '../trigger/trigger.js';
import {
  ASSET_FAULT_KINDS,
  ASSET_KINDS,
  KNOWN_FIELD_NAMES,
  MAX_MEMBER_COUNT,
  ScenarioSchema,
  hasMembers,
  memberId,
  parseIsoDateTimeMs,
  type Scenario,
  type ScenarioAsset,
} from './schema.js';

export interface ScenarioIssue {
  /** Where: a JSON path like `assets[3].energyKwh`, or a file position like `weather/actual.csv line 17, dniWm2`. */
  path: string;
  /** What was found and what was expected, e.g. `expected a positive number, got -5`. */
  message: string;
}

export type ParseScenarioResult = { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[] };

type PathKey = string | number | symbol;

// ---------------------------------------------------------------------------------------------------
// Formatting helpers (shared with the weather parsers)

export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A value as a user would recognise it in their file: strings quoted, containers named. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    if (v === '') return 'an empty string';
    return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'an object';
}

function literalText(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** One line per issue, each prefixed with the file name, for terminals and logs. */
export function formatScenarioIssues(issues: readonly ScenarioIssue[], fileName: string): string {
  return issues.map((i) => (i.path === '' ? `${fileName}: ${i.message}` : `${fileName}: ${i.path}: ${i.message}`)).join('\n');
}

// ---------------------------------------------------------------------------------------------------
// JSON with positions

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; line: number; column: number; reason: string };

/**
 * JSON.parse, with the error turned into a 1-based line and column. V8's own messages do not always carry
 * a position ("Unexpected token ',', ..."urly": [1,,2]" is not valid JSON"), so on failure a small scanner
 * finds the first error itself; it runs only on broken files, so its speed does not matter.
 */
export function parseJsonWithLocation(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const found = findJsonError(text) ?? {
      offset: text.length,
      reason: err instanceof Error ? err.message : String(err),
    };
    const lines = text.slice(0, found.offset).split('\n');
    return { ok: false, line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1, reason: found.reason };
  }
}

/** Offset and reason of the first JSON syntax error, or null if the text is valid JSON. */
export function findJsonError(text: string): { offset: number; reason: string } | null {
  let i = 0;
  class Stop {
    constructor(
      readonly offset: number,
      readonly reason: string,
    ) {}
  }
  const fail = (reason: string, at = i): never => {
    throw new Stop(at, reason);
  };
  const shown = (): string => (i >= text.length ? 'the end of the file' : `'${text[i] ?? ''}'`);
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const str = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('line break or control character inside a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape in a string');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape in a string');
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, got ${shown()}`);
        str();
        ws();
        if (text[i] !== ':') fail(`expected ':' after the property name, got ${shown()}`);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}' after a property value, got ${shown()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']' after a list element, got ${shown()}`);
      }
    }
    if (c === '"') return str();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail(`expected a value, got ${shown()}`);
  };
  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value();
    ws();
    if (i < text.length) fail(`expected the end of the file after the JSON value, got ${shown()}`);
    return null;
  } catch (e) {
    if (e instanceof Stop) return { offset: e.offset, reason: e.reason };
    throw e;
  }
}

export function jsonSyntaxIssue(text: string, prefix = ''): ScenarioIssue | null {
  const r = parseJsonWithLocation(text);
  if (r.ok) return null;
  return { path: `${prefix}line ${r.line}, column ${r.column}`, message: `invalid JSON: ${r.reason}` };
}

// ---------------------------------------------------------------------------------------------------
// zod issues → our messages

function lookup(data: unknown, path: readonly PathKey[]): { found: boolean; value: unknown } {
  let cur: unknown = data;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null) return { found: false, value: undefined };
    const k = typeof key === 'symbol' ? key : String(key);
    if (!Object.prototype.hasOwnProperty.call(cur, k)) return { found: false, value: undefined };
    cur = (cur as Record<string | symbol, unknown>)[k];
  }
  return { found: true, value: cur };
}

function valueIssue(path: readonly PathKey[], expected: string, data: unknown): ScenarioIssue {
  const { found, value } = lookup(data, path);
  return {
    path: formatPath(path),
    message: found ? `expected ${expected}, got ${describeValue(value)}` : `expected ${expected}, but the field is missing`,
  };
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function levenshtein(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The known field a typo most likely meant, if any is close enough to be a good guess. */
export function suggestField(key: string): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = KNOWN_FIELD_NAMES.find((k) => k !== key && k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  let best: string | undefined;
  let bestD = Math.min(2, Math.floor(key.length / 3));
  for (const k of KNOWN_FIELD_NAMES) {
    if (k === key) continue;
    const d = levenshtein(lower, k.toLowerCase());
    if (d <= bestD) {
      best = k;
      bestD = d - 1; // a later candidate must be strictly closer to win
    }
  }
  return best;
}

export function zodIssueToScenarioIssues(issue: z.core.$ZodIssue, data: unknown): ScenarioIssue[] {
  const path = issue.path;
  switch (issue.code) {
    case 'custom': {
      const expected = (issue.params as { expected?: unknown } | undefined)?.expected;
      return [valueIssue(path, typeof expected === 'string' ? expected : 'a valid value', data)];
    }
    case 'invalid_type':
      return [valueIssue(path, TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`, data)];
    case 'invalid_value': {
      const vals = issue.values;
      const expected = vals.length === 1 ? literalText(vals[0]) : `one of ${vals.map(literalText).join(', ')}`;
      return [valueIssue(path, expected, data)];
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: unknown }).discriminator;
      const options = (issue as { options?: unknown }).options;
      if (typeof disc === 'string') {
        // zod 4.x versions differ on whether the path already ends at the discriminator.
        const p = path[path.length - 1] === disc ? path : [...path, disc];
        const expected = Array.isArray(options) ? `one of ${options.map(literalText).join(', ')}` : `a known ${disc}`;
        return [valueIssue(p, expected, data)];
      }
      return [valueIssue(path, 'a valid value', data)];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        // A field the format knows elsewhere (e.g. `asset` on a breaker fault) is misplaced, not misspelt.
        const known = KNOWN_FIELD_NAMES.includes(key);
        const guess = known ? undefined : suggestField(key);
        return {
          path: formatPath([...path, key]),
          message: known ? 'field not allowed here' : guess === undefined ? 'unknown field' : `unknown field, did you mean "${guess}"?`,
        };
      });
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') {
        const { value } = lookup(data, path);
        const n = Array.isArray(value) ? value.length : 0;
        return [{ path: formatPath(path), message: `expected at least ${min} ${min === 1 ? 'entry' : 'entries'}, got ${n}` }];
      }
      return [valueIssue(path, `a number ${issue.inclusive ? '≥' : '>'} ${min}`, data)];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array') {
        const { value } = lookup(data, path);
        const n = Array.isArray(value) ? value.length : 0;
        return [{ path: formatPath(path), message: `expected at most ${max} entries, got ${n}` }];
      }
      return [valueIssue(path, `a number ${issue.inclusive ? '≤' : '<'} ${max}`, data)];
    }
    case 'invalid_format':
      return [valueIssue(path, `a valid ${issue.format}`, data)];
    default:
      return [valueIssue(path, 'a valid value', data)];
  }
}

// ---------------------------------------------------------------------------------------------------
// Cross-field checks, on the raw JSON, each guarded on the well-formedness of what it relates

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const numOf = (o: Obj, k: string): number | undefined => {
  const v = o[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const strOf = (o: Obj, k: string): string | undefined => {
  const v = o[k];
  return typeof v === 'string' ? v : undefined;
};
const listOf = (o: Obj, k: string): unknown[] => {
  const v = o[k];
  return Array.isArray(v) ? v : [];
};
const objOf = (o: Obj, k: string): Obj | undefined => {
  const v = o[k];
  return isObj(v) ? v : undefined;
};
interface TimeField {
  ms: number;
  text: string;
}
const timeOf = (o: Obj, k: string): TimeField | undefined => {
  const text = strOf(o, k);
  if (text === undefined) return undefined;
  const ms = parseIsoDateTimeMs(text);
  return Number.isFinite(ms) ? { ms, text } : undefined;
};

const COUNTED_KINDS = new Set(['householdStorage', 'heatPump', 'pv', 'load']);
const KNOWN_KINDS = new Set<string>(ASSET_KINDS);
const ASSET_FAULTS = new Set<string>(ASSET_FAULT_KINDS);

/** Is `m` a whole multiple of `d`? Tolerant of float steps such as 0.1 s. */
function isMultiple(m: number, d: number): boolean {
  const r = m / d;
  return Math.abs(r - Math.round(r)) < 1e-9 * Math.max(1, Math.abs(r)) && Math.round(r) >= 1;
}

function crossFieldIssues(data: unknown): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (!isObj(data)) return issues;

  // Span ------------------------------------------------------------------------------------------
  const start = timeOf(data, 'start');
  const end = timeOf(data, 'end');
  const spanOk = start !== undefined && end !== undefined && start.ms < end.ms;
  if (start !== undefined && end !== undefined && !spanOk) {
    add('end', `expected a time after start (${start.text}), got ${JSON.stringify(end.text)}`);
  }
  const insideSpan = (t: TimeField): boolean => !spanOk || (t.ms >= start.ms && t.ms < end.ms);
  const spanText = spanOk ? `[${start.text}, ${end.text})` : '';

  // Periods ---------------------------------------------------------------------------------------
  const stepS = numOf(data, 'stepS');
  if (stepS !== undefined && stepS > 0) {
    const periods: Array<[string, string]> = [
      ['measurement', 'breakerPeriodS'],
      ['control', 'bessPeriodS'],
    ];
    for (const [section, key] of periods) {
      const sec = objOf(data, section);
      const p = sec === undefined ? undefined : numOf(sec, key);
      if (p !== undefined && p > 0 && !isMultiple(p, stepS)) {
        // The plant only moves in whole steps, so a period between steps would drift against it.
        add(`${section}.${key}`, `expected a whole multiple of stepS (${stepS} s), got ${p}`);
      }
    }
  }

  // Assets: ids, members, bands -----------------------------------------------------------------------
  const assets = listOf(data, 'assets');
  /** Every name the EMS will see (group ids and member ids) → who owns it, for messages. */
  const names = new Map<string, string>();
  const byId = new Map<string, { index: number; kind: string; count: number | undefined }>();
  assets.forEach((a, i) => {
    if (!isObj(a)) return;
    const id = strOf(a, 'id');
    const kind = strOf(a, 'kind');
    if (id === undefined || kind === undefined) return;
    const here = `assets[${i}]`;
    const prevOwner = names.get(id);
    if (prevOwner !== undefined) {
      add(`${here}.id`, `expected a unique id, got ${JSON.stringify(id)} (already the id of ${prevOwner})`);
    } else {
      names.set(id, here);
      if (!byId.has(id)) byId.set(id, { index: i, kind, count: numOf(a, 'count') });
    }
    const count = numOf(a, 'count');
    if (COUNTED_KINDS.has(kind) && count !== undefined && Number.isInteger(count) && count >= 1 && count <= MAX_MEMBER_COUNT) {
      let reported = false;
      for (let k = 1; k <= count; k++) {
        const mid = memberId(id, k, count);
        const owner = names.get(mid);
        if (owner !== undefined) {
          if (!reported) {
            add(
              `${here}.id`,
              `expected an id whose member ids are unique, got ${JSON.stringify(id)} (its member ${JSON.stringify(mid)} is already the id of ${owner})`,
            );
            reported = true;
          }
        } else {
          names.set(mid, `member ${k} of ${here} ${JSON.stringify(id)}`);
        }
      }
    }

    // State-of-charge band: the initial state must be reachable and the band non-empty.
    const socMin = numOf(a, 'socMinPct');
    const socMax = numOf(a, 'socMaxPct');
    const socInit = numOf(a, 'socInitPct');
    if (socMin !== undefined && socMax !== undefined && socMin > socMax) {
      add(`${here}.socMinPct`, `expected at most socMaxPct (${socMax}), got ${socMin}`);
    } else if (socMin !== undefined && socMax !== undefined && socInit !== undefined && (socInit < socMin || socInit > socMax)) {
      add(`${here}.socInitPct`, `expected a value between socMinPct (${socMin}) and socMaxPct (${socMax}), got ${socInit}`);
    }

    // Thermal comfort band of a heat pump: its thermostat keeps the house inside it.
    const th = objOf(a, 'thermal');
    if (kind === 'heatPump' && th !== undefined) {
      const lo = numOf(th, 'indoorMinC');
      const hi = numOf(th, 'indoorMaxC');
      if (lo !== undefined && hi !== undefined) {
        if (lo > hi) {
          add(`${here}.thermal.indoorMinC`, `expected at most indoorMaxC (${hi}), got ${lo}`);
        } else {
          for (const key of ['indoorInitC', 'setpointC']) {
            const v = numOf(th, key);
            if (v !== undefined && (v < lo || v > hi)) {
              add(`${here}.thermal.${key}`, `expected a value between indoorMinC (${lo}) and indoorMaxC (${hi}), got ${v}`);
            }
          }
        }
      }
    }
  });

  // Household storages sit in households of the named load and pv: member k needs member k there.
  assets.forEach((a, i) => {
    if (!isObj(a) || strOf(a, 'kind') !== 'householdStorage') return;
    const paired = objOf(a, 'pairedWith');
    if (paired === undefined) return;
    const count = numOf(a, 'count');
    for (const want of ['load', 'pv'] as const) {
      const ref = strOf(paired, want);
      if (ref === undefined) continue;
      const path = `assets[${i}].pairedWith.${want}`;
      const target = byId.get(ref);
      if (target === undefined) {
        add(path, `expected the id of a ${want} asset, got ${JSON.stringify(ref)} (no asset has that id)`);
      } else if (!KNOWN_KINDS.has(target.kind)) {
        continue; // its kind is reported already
      } else if (target.kind !== want) {
        add(path, `expected the id of a ${want} asset, got ${JSON.stringify(ref)} (a ${target.kind} asset)`);
      } else if (count !== undefined && target.count !== undefined && target.count < count) {
        add(
          path,
          `expected a ${want} asset with count ≥ ${count} (this storage's count), got ${JSON.stringify(ref)} with count ${target.count}`,
        );
      }
    }
  });

  // Events --------------------------------------------------------------------------------------------
  const site = objOf(data, 'site');
  const limitKw = site === undefined ? undefined : numOf(site, 'connectionLimitKw');
  const checkLimit = (o: Obj, path: string) => {
    const t = numOf(o, 'targetKw');
    if (t !== undefined && limitKw !== undefined && limitKw > 0 && Math.abs(t) > limitKw) {
      add(`${path}.targetKw`, `expected a target within ±${limitKw} kW (site.connectionLimitKw), got ${t}`);
    }
  };
  let prevAt: { t: TimeField; index: number } | undefined;
  listOf(data, 'events').forEach((e, i) => {
    if (!isObj(e)) return;
    const here = `events[${i}]`;
    const at = timeOf(e, 'at');
    if (at !== undefined) {
      if (!insideSpan(at)) add(`${here}.at`, `expected a time inside the scenario ${spanText}, got ${JSON.stringify(at.text)}`);
      else if (prevAt !== undefined && at.ms <= prevAt.t.ms) {
        // Two triggers at one instant would leave it to chance which one wins.
        add(`${here}.at`, `expected a time after events[${prevAt.index}].at (${prevAt.t.text}), got ${JSON.stringify(at.text)}`);
      }
      prevAt = { t: at, index: i };
    }
    const startAt = timeOf(e, 'startAt');
    if (startAt !== undefined) {
      if (at !== undefined && startAt.ms < at.ms) {
        add(`${here}.startAt`, `expected a time at or after at (${at.text}), got ${JSON.stringify(startAt.text)}`);
      } else if (!insideSpan(startAt)) {
        add(`${here}.startAt`, `expected a time inside the scenario ${spanText}, got ${JSON.stringify(startAt.text)}`);
      }
    }
    checkLimit(e, here);
    const runStart = startAt ?? at;
    let prevPkg: { to: TimeField; index: number } | undefined;
    listOf(e, 'schedule').forEach((p, j) => {
      if (!isObj(p)) return;
      const ph = `${here}.schedule[${j}]`;
      checkLimit(p, ph);
      const from = timeOf(p, 'from');
      const to = timeOf(p, 'to');
      if (from !== undefined) {
        if (runStart !== undefined && from.ms < runStart.ms) {
          add(`${ph}.from`, `expected a time at or after the event's start (${runStart.text}), got ${JSON.stringify(from.text)}`);
        } else if (spanOk && from.ms >= end.ms) {
          add(`${ph}.from`, `expected a time before the scenario's end (${end.text}), got ${JSON.stringify(from.text)}`);
        } else if (prevPkg !== undefined && from.ms < prevPkg.to.ms) {
          add(
            `${ph}.from`,
            `expected a time at or after the end of schedule[${prevPkg.index}] (${prevPkg.to.text}): packages must be in time order and not overlap, got ${JSON.stringify(from.text)}`,
          );
        }
      }
      if (to !== undefined) {
        if (from !== undefined && to.ms <= from.ms) {
          add(`${ph}.to`, `expected a time after from (${from.text}), got ${JSON.stringify(to.text)}`);
        } else if (spanOk && to.ms > end.ms) {
          add(`${ph}.to`, `expected a time at or before the scenario's end (${end.text}), got ${JSON.stringify(to.text)}`);
        }
        if (prevPkg === undefined || to.ms > prevPkg.to.ms) prevPkg = { to, index: j };
      }
    });
  });

  // Faults ------------------------------------------------------------------------------------------
  listOf(data, 'faults').forEach((f, i) => {
    if (!isObj(f)) return;
    const here = `faults[${i}]`;
    const at = timeOf(f, 'at');
    if (at !== undefined && !insideSpan(at)) {
      add(`${here}.at`, `expected a time inside the scenario ${spanText}, got ${JSON.stringify(at.text)}`);
    }
    const ref = strOf(f, 'asset');
    if (ref !== undefined && ASSET_FAULTS.has(strOf(f, 'kind') ?? '') && !names.has(ref)) {
      add(`${here}.asset`, `expected the id of an asset or asset member, got ${JSON.stringify(ref)} (no such asset)${memberHint(ref, assets)}`);
    }
  });

  return issues;
}

/** "hs-13" when hs has 12 members: say so, it is the likely mistake. */
function memberHint(ref: string, assets: unknown[]): string {
  for (const a of assets) {
    if (!isObj(a)) continue;
    const id = strOf(a, 'id');
    const count = numOf(a, 'count');
    if (id === undefined || count === undefined || !ref.startsWith(`${id}-`) || !Number.isInteger(count) || count < 1) continue;
    return `; ${JSON.stringify(id)} has members ${memberId(id, 1, count)} … ${memberId(id, count, count)}`;
  }
  return '';
}

// ---------------------------------------------------------------------------------------------------

export function validateScenarioData(data: unknown): ParseScenarioResult {
  const parsed = ScenarioSchema.safeParse(data);
  const issues: ScenarioIssue[] = [];
  if (!parsed.success) for (const zi of parsed.error.issues) issues.push(...zodIssueToScenarioIssues(zi, data));
  issues.push(...crossFieldIssues(data));
  // Identical issues can come from two routes (e.g. a union reporting twice); say each thing once.
  const seen = new Set<string>();
  const unique = issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (unique.length > 0 || !parsed.success) return { ok: false, issues: unique };
  // Every event must also be a trigger the engine takes (the rules every trigger meets, whatever its source):
  // otherwise a replay would run without it.
  const limitKw = parsed.data.site.connectionLimitKw;
  const refused = scenarioTriggers(parsed.data).flatMap((t, i) => triggerIssues(t, limitKw).map((issue) => ({ path: `events[${i}].${issue.path}`, message: issue.message })));
  if (refused.length > 0) return { ok: false, issues: refused };
  return { ok: true, scenario: parsed.data };
}

export function parseScenario(jsonText: string): ParseScenarioResult {
  const json = parseJsonWithLocation(jsonText.charCodeAt(0) === 0xfeff ? jsonText.slice(1) : jsonText);
  if (!json.ok) return { ok: false, issues: [{ path: `line ${json.line}, column ${json.column}`, message: `invalid JSON: ${json.reason}` }] };
  return validateScenarioData(json.value);
}

/** Every name the EMS will know: asset ids and the member ids of counted assets. */
export function allAssetNames(scenario: Scenario): string[] {
  const out: string[] = [];
  for (const a of scenario.assets as ScenarioAsset[]) {
    out.push(a.id);
    if (hasMembers(a)) for (let k = 1; k <= a.count; k++) out.push(memberId(a.id, k, a.count));
  }
  return out;
}
