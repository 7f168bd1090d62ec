/**
 * The LP builder's two ways to the solver: as text (HiGHS's LP reader) and as numbers (`toModelData`,
 * `solveModel`). They must be the same model to the last bit, so that the faster one changes no plan.
 */
import { describe, expect, it } from 'vitest';
import { LpModel } from '../../../../src-main/engine/optimiser/lp.js';
import { highsSolver } from './helpers.js';

function model(): LpModel {
  const m = new LpModel();
  // Columns declared in an order other than the one they first appear in the text.
  m.addVar('z', 0, 10);
  m.addVar('y', -Infinity, 4.123456789012345);
  m.addVar('x', 0, Infinity, 1 / 3);
  m.addVar('w', -Infinity, Infinity, -2e-13);
  m.addVar('v', 1e-13, 7, 0.1 + 0.2);
  m.addRow('r1', [['x', 1], ['y', -1 / 7]], '>=', 2 / 3);
  m.addRow('r2', [['y', 1], ['z', 1e-7], ['x', 2]], '<=', 9.999999999999);
  m.addRow('r3', [['w', 1], ['x', -1]], '=', -0.5);
  m.addRow('empty', [['z', 1e-13]], '<=', 1);
  m.addRow('r4', [['v', 3], ['z', -1], ['w', 0.25]], '>=', 1e-3);
  return m;
}

describe('LpModel.toModelData', () => {
  it('puts the columns in the order the LP text first names them, with every number as printed', () => {
    const d = model().toModelData();
    // w's cost prints as "- 0 w": it is named in the objective, first after x.
    expect(d.colNames).toEqual(['x', 'w', 'v', 'y', 'z']);
    expect(Array.from(d.colCost)).toEqual([Number((1 / 3).toPrecision(12)), -0, 0.3, 0, 0]);
    expect(Array.from(d.starts)).toEqual([0, 2, 5, 7, 10]);
    expect(Array.from(d.rowLower)).toEqual([Number((2 / 3).toPrecision(12)), -Infinity, -0.5, 0.001]);
  });

  it('solves to exactly what the text solves to', async () => {
    const solver = await highsSolver();
    const m = model();
    const a = solver.solve(m.toLpText());
    const b = solver.solveModel!(m.toModelData());
    expect(b.status).toBe(a.status);
    expect(b.objective).toBe(a.objective);
    expect([...b.values].sort()).toEqual([...a.values].sort());
  });
});
