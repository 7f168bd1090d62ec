import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activePowerKw, phasesFor, reactivePowerKvar } from '../../../../src-main/connectors/rest/three-phase.js';

describe('3-phase U, I, φ → P, Q (load frame)', () => {
  it('import at cos φ = 1 is positive, export (φ = 180°) negative, lagging draw gives Q > 0', () => {
    const ph = (phiDeg: number) => [0, 1, 2].map(() => ({ voltageV: 230, currentA: 100, phiDeg }));
    expect(activePowerKw(ph(0))).toBeCloseTo(69, 9);
    expect(activePowerKw(ph(180))).toBeCloseTo(-69, 9);
    expect(reactivePowerKvar(ph(30))).toBeCloseTo(34.5, 9);
    expect(activePowerKw([{ voltageV: NaN, currentA: 1, phiDeg: 0 }, ...ph(0).slice(1)])).toBeNaN();
    expect(activePowerKw(ph(0).slice(1))).toBeNaN();
  });

  it('phasesFor is the inverse for any P, Q and imbalance', () => {
    fc.assert(
      fc.property(fc.double({ min: -630, max: 630, noNaN: true }), fc.double({ min: -200, max: 200, noNaN: true }), fc.double({ min: 0.2, max: 0.45, noNaN: true }), (p, q, s1) => {
        const shares: [number, number, number] = [s1, (1 - s1) / 2, (1 - s1) / 2];
        const phases = phasesFor(p, q, [231, 229, 230], shares);
        expect(activePowerKw(phases)).toBeCloseTo(p, 6);
        expect(reactivePowerKvar(phases)).toBeCloseTo(q, 6);
      }),
    );
  });
});
