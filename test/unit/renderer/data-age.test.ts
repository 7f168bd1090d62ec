import { describe, expect, it } from 'vitest';

import { ageText, breakerPeriodMs, dataAge, DEFAULT_BREAKER_PERIOD_MS, sessionNowMs } from '../../../src-renderer/src/composables/data-age';

describe('data age of a live tile', () => {
  it('takes the breaker period from the recent samples’ median spacing (a dropout does not stretch it)', () => {
    const recent = [0, 10_000, 20_000, 30_000, 70_000, 80_000].map((timeMs) => ({ timeMs }));
    expect(breakerPeriodMs(recent)).toBe(10_000);
    expect(breakerPeriodMs([0, 5000, 10_000].map((timeMs) => ({ timeMs })))).toBe(5000);
    expect(breakerPeriodMs([])).toBe(DEFAULT_BREAKER_PERIOD_MS);
  });

  it('carries the session clock on between pushes at the session’s speed, not at max', () => {
    expect(sessionNowMs({ pictureNowMs: 1_000_000, lastUpdateWallMs: 50_000, wallNowMs: 53_000, speed: 60 })).toBe(1_180_000);
    expect(sessionNowMs({ pictureNowMs: 1_000_000, lastUpdateWallMs: 50_000, wallNowMs: 53_000, speed: 1 })).toBe(1_003_000);
    expect(sessionNowMs({ pictureNowMs: 1_000_000, lastUpdateWallMs: 50_000, wallNowMs: 53_000, speed: 'max' })).toBe(1_000_000);
    expect(sessionNowMs({ pictureNowMs: 1_000_000, lastUpdateWallMs: null, wallNowMs: 53_000, speed: 1 })).toBe(1_000_000);
    // A wall clock that went back never makes the session younger.
    expect(sessionNowMs({ pictureNowMs: 1_000_000, lastUpdateWallMs: 50_000, wallNowMs: 49_000, speed: 1 })).toBe(1_000_000);
  });

  it('is stale past 2.5 breaker periods, and always when no live update comes', () => {
    expect(dataAge(100_000, 125_000, 10_000, true)).toEqual({ ageS: 25, stale: false });
    expect(dataAge(100_000, 125_001, 10_000, true)).toEqual({ ageS: 25, stale: true });
    expect(dataAge(100_000, 101_000, 10_000, false)).toEqual({ ageS: 1, stale: true });
    expect(dataAge(null, 101_000, 10_000, true)).toEqual({ ageS: null, stale: false });
    expect(dataAge(null, 101_000, 10_000, false)).toEqual({ ageS: null, stale: true });
    // A sample stamped after the clock (clock skew) is 0 s old, not negative.
    expect(dataAge(102_000, 101_000, 10_000, true).ageS).toBe(0);
  });

  it('says seconds under two minutes, then whole minutes, in the locale', () => {
    expect(ageText(7, 'en')).toBe('7\u202fs');
    expect(ageText(65, 'de')).toBe('1\u202fmin 05\u202fs');
    expect(ageText(125, 'en')).toBe('2\u202fmin');
    expect(ageText(3 * 3600 + 61, 'en')).toBe('3\u202fh 01\u202fmin');
    expect(ageText(null, 'en')).toBe('—');
  });
});
