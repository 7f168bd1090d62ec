/**
 * Seeded random numbers: named streams are reproducible and independent; mulberry32's uniform and the
 * Box–Muller normal have the right moments.
 */
import { describe, expect, it } from 'vitest';
import { Rng, streamSeed } from '../../../src-main/engine/random.js';

const draws = (rng: Rng, n: number, f: (r: Rng) => number = (r) => r.next()): number[] => Array.from({ length: n }, () => f(rng));

describe('streamSeed', () => {
  it('is a pure function of (seed, label), a 32-bit unsigned integer', () => {
    expect(streamSeed(7, 'load:hh-001')).toBe(streamSeed(7, 'load:hh-001'));
    const s = streamSeed(7, 'load:hh-001');
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });

  it('different labels and different seeds give different streams', () => {
    const labels = Array.from({ length: 2000 }, (_, i) => `load:hh-${String(i + 1).padStart(4, '0')}`);
    labels.push('sensor:breaker', 'load:farm-01', 'load:shop-01');
    const seeds = new Set(labels.map((l) => streamSeed(11, l)));
    expect(seeds.size).toBe(labels.length);
    expect(streamSeed(11, 'sensor:breaker')).not.toBe(streamSeed(12, 'sensor:breaker'));
    expect(streamSeed(0, '')).not.toBe(streamSeed(1, ''));
  });

  it('nearby labels give unrelated first draws (avalanche)', () => {
    const first = Array.from({ length: 200 }, (_, i) => new Rng(streamSeed(3, `load:hh-${i}`)).next());
    const mean = first.reduce((a, b) => a + b, 0) / first.length;
    expect(mean).toBeGreaterThan(0.4);
    expect(mean).toBeLessThan(0.6);
    // Consecutive labels are not correlated: mean |Δ| of two U(0,1) draws is 1/3.
    let sumAbsDiff = 0;
    for (let i = 1; i < first.length; i++) sumAbsDiff += Math.abs(first[i]! - first[i - 1]!);
    expect(sumAbsDiff / (first.length - 1)).toBeGreaterThan(0.25);
  });
});

describe('Rng', () => {
  it('reproduces a stream from its seed, bit for bit (uniform and normal)', () => {
    const a = new Rng(streamSeed(13, 'load:hh-007'));
    const b = new Rng(streamSeed(13, 'load:hh-007'));
    expect(draws(a, 1000)).toEqual(draws(b, 1000));
    expect(draws(a, 1001, (r) => r.normal())).toEqual(draws(b, 1001, (r) => r.normal()));
    expect(draws(new Rng(1), 10)).not.toEqual(draws(new Rng(2), 10));
  });

  it('streams do not interfere: drawing from one leaves another unchanged', () => {
    const alone = draws(new Rng(streamSeed(5, 'x')), 100);
    const x = new Rng(streamSeed(5, 'x'));
    const y = new Rng(streamSeed(5, 'y'));
    const interleaved: number[] = [];
    for (let i = 0; i < 100; i++) {
      interleaved.push(x.next());
      y.next();
      y.normal();
    }
    expect(interleaved).toEqual(alone);
  });

  it('next() is uniform on [0, 1): range, mean 1/2, variance 1/12, deciles', () => {
    const n = 100_000;
    const u = draws(new Rng(streamSeed(42, 'uniform')), n);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const mean = u.reduce((a, b) => a + b, 0) / n;
    const variance = u.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // σ/√n ≈ 0.0009
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
    const bins = new Array<number>(10).fill(0);
    for (const v of u) bins[Math.floor(v * 10)]!++;
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(600); // σ ≈ 95 per bin
  });

  it('normal() has mean ≈ 0, variance ≈ 1 and Gaussian tails', () => {
    const n = 100_000;
    const z = draws(new Rng(streamSeed(42, 'normal')), n, (r) => r.normal());
    expect(z.every(Number.isFinite)).toBe(true);
    const mean = z.reduce((a, b) => a + b, 0) / n;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(0.02); // σ/√n ≈ 0.003
    expect(Math.abs(variance - 1)).toBeLessThan(0.03); // ≈ √(2/n) ≈ 0.0045
    const beyond1 = z.filter((v) => Math.abs(v) > 1).length / n;
    const beyond2 = z.filter((v) => Math.abs(v) > 2).length / n;
    expect(beyond1).toBeGreaterThan(0.307); // 0.3173
    expect(beyond1).toBeLessThan(0.327);
    expect(beyond2).toBeGreaterThan(0.041); // 0.0455
    expect(beyond2).toBeLessThan(0.050);
    // Both Box–Muller values are used and they are uncorrelated.
    let cov = 0;
    for (let i = 0; i + 1 < n; i += 2) cov += z[i]! * z[i + 1]!;
    expect(Math.abs(cov / (n / 2))).toBeLessThan(0.03);
  });
});
