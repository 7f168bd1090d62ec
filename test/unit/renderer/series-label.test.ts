import { describe, expect, it } from 'vitest';

import { seriesLabel } from '../../../src-renderer/src/composables/series-label';

describe('seriesLabel', () => {
  it('reads a series id in the console’s language', () => {
    expect(seriesLabel('breaker.measuredKw', 'en')).toBe('Breaker: measured power');
    expect(seriesLabel('breaker.measuredKw', 'de')).toBe('Übergabepunkt: gemessene Leistung');
    expect(seriesLabel('bess.socPct', 'de')).toBe('Großspeicher: Ladezustand');
    expect(seriesLabel('hs-03.powerKw', 'en')).toBe('hs-03: power');
    expect(seriesLabel('forecast.breakerKw', 'en')).toBe('Forecast: breaker power');
  });
  it('shows an id it does not know as it is', () => {
    expect(seriesLabel('x.somethingElseKw', 'de')).toBe('x.somethingElseKw');
    expect(seriesLabel('plain', 'en')).toBe('plain');
  });
});
