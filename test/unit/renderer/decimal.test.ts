/**
 * Setpoint numbers as typed in English or German: never read other than as typed (a browser's number
 * field turned "-150,5" into −1505), an ambiguous grouping refused, not guessed.
 */
import { describe, expect, it } from 'vitest';

import { decimalText, parseDecimal } from '../../../src-renderer/src/composables/decimal';
import { validateDraft } from '../../../src-renderer/src/stores/setpoint';

describe('parseDecimal', () => {
  it('reads a decimal comma or point, the minus sign, and spaces as groups', () => {
    expect(parseDecimal('-150,5')).toEqual({ ok: true, value: -150.5 });
    expect(parseDecimal('-150.5')).toEqual({ ok: true, value: -150.5 });
    expect(parseDecimal('\u2212150,5')).toEqual({ ok: true, value: -150.5 });
    expect(parseDecimal(' 1 200 ')).toEqual({ ok: true, value: 1200 });
    expect(parseDecimal('1\u202f200,25')).toEqual({ ok: true, value: 1200.25 });
    expect(parseDecimal(',5')).toEqual({ ok: true, value: 0.5 });
    expect(parseDecimal('')).toEqual({ ok: true, value: null });
    expect(parseDecimal('1500')).toEqual({ ok: true, value: 1500 });
    expect(parseDecimal('1,5000')).toEqual({ ok: true, value: 1.5 });
  });

  it('refuses what is not one number, and a separator that may be a grouping', () => {
    expect(parseDecimal('1.500')).toEqual({ ok: false, reason: 'ambiguous' });
    expect(parseDecimal('-1,500')).toEqual({ ok: false, reason: 'ambiguous' });
    for (const bad of ['1.500,5', '1,500.5', '12a', '--5', '1e3', 'NaN', 'Infinity', '5-', '.', '1..5', '-150 5', '1 50', '12 3,5', '1 2345']) expect(parseDecimal(bad)).toMatchObject({ ok: false });
  });

  it('writes a number back in the language', () => {
    expect(decimalText(-150.5, 'de')).toBe('-150,5');
    expect(decimalText(-150.5, 'en')).toBe('-150.5');
    expect(decimalText(null, 'de')).toBe('');
  });

  it('leaves no empty or unreadable package target to pass as 0 kW', () => {
    const draft = { useCase: 4 as const, targetKw: null, durationMin: 60, toleranceKw: 10, packages: [{ startInMin: 0, lengthMin: 30, targetKw: null }, { startInMin: 30, lengthMin: 30, targetKw: NaN }] };
    expect(validateDraft(draft, 630)).toEqual(['Package 1: enter a target in kW.', 'Package 2: enter a target in kW.']);
    expect(validateDraft({ ...draft, toleranceKw: NaN, packages: [{ startInMin: 0, lengthMin: 30, targetKw: -100 }] }, 630)).toEqual(['The tolerance must be more than 0 kW.']);
  });
});
