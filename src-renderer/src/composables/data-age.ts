/**
 * How old a live tile's value is. The live picture comes once a second; a value in it is as old as the
 * moment it stands for (a breaker sample's time at the sensor, or the picture's own time), measured on the
 * session's clock, which runs on with the wall clock between pushes (at the session's speed), so a value
 * keeps ageing when the pushes stop. Past 2.5 breaker periods it is stale (the EMS's own `breaker-stale`
 * rule, README "Safety"); without live updates everything is. Pure functions, unit-tested.
 */
import { formatDuration } from './format';
import type { Locale } from './format';

/** The breaker period when the samples do not tell (the default of every bundled scenario), ms. */
export const DEFAULT_BREAKER_PERIOD_MS = 10_000;
/** A value older than this many breaker periods is stale. */
export const STALE_PERIODS = 2.5;

/** The breaker period from the recent samples: the median spacing of the last ten, ms. */
export function breakerPeriodMs(recent: ReadonlyArray<{ timeMs: number }>): number {
  const gaps: number[] = [];
  for (let i = Math.max(1, recent.length - 10); i < recent.length; i++) {
    const d = recent[i]!.timeMs - recent[i - 1]!.timeMs;
    if (d > 0) gaps.push(d);
  }
  if (gaps.length === 0) return DEFAULT_BREAKER_PERIOD_MS;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

/**
 * The session clock now: the last picture's time, carried on by the wall time since it came at the
 * session's speed ('max' has no rate to carry it on by: it stays, and a dead link is told by `linkAlive`).
 */
export function sessionNowMs(o: { pictureNowMs: number; lastUpdateWallMs: number | null; wallNowMs: number; speed: number | 'max' }): number {
  if (o.lastUpdateWallMs === null || o.speed === 'max') return o.pictureNowMs;
  return o.pictureNowMs + Math.max(0, o.wallNowMs - o.lastUpdateWallMs) * o.speed;
}

export interface DataAge {
  /** Whole seconds, or null when there is no value. */
  ageS: number | null;
  stale: boolean;
}

export function dataAge(dataMs: number | null, nowMs: number, periodMs: number, linkAlive: boolean): DataAge {
  if (dataMs === null || !Number.isFinite(dataMs)) return { ageS: null, stale: !linkAlive };
  const ageMs = Math.max(0, nowMs - dataMs);
  return { ageS: Math.floor(ageMs / 1000), stale: !linkAlive || ageMs > STALE_PERIODS * periodMs };
}

/**
 * The age as the tile says it: whole seconds under two minutes, then whole minutes (so a tile's line
 * changes at most once a second, and once a minute for an old value).
 */
export function ageText(ageS: number | null, locale: Locale): string {
  if (ageS === null) return '—';
  if (ageS < 120) return formatDuration(ageS, locale);
  return formatDuration(Math.floor(ageS / 60) * 60, locale).replace(/ 00\u202fs$/, '');
}
