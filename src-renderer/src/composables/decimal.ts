/**
 * Decimal numbers as an operator types them, in English or German: "-150.5", "−150,5", "1 200", "0,5".
 *
 * A browser's number field reads them by its own locale and may drop what it does not expect ("-150,5"
 * became −1505 in a German console): a setpoint must never be read other than as typed. So setpoint fields
 * are text fields parsed here: one decimal separator, either "." or ","; spaces (also thin and no-break)
 * only between groups of three digits; the minus sign "−" as "-". A separator followed by exactly three digits is the grouping
 * separator of one of the two languages ("1.500" is 1500 in German, 1.5 in English): refused as ambiguous
 * rather than guessed.
 */
export type ParsedDecimal = { ok: true; value: number | null } | { ok: false; reason: 'not-a-number' | 'ambiguous' };

export function parseDecimal(text: string): ParsedDecimal {
  const spaced = text.trim().replace(/[\u00a0\u202f\u2009]/g, ' ').replace(/\u2212/g, '-');
  if (spaced === '') return { ok: true, value: null };
  // A space only between groups of three digits ("1 200"): "-150 5" is a typo, not −1505.
  if (!/^[+-]?((\d{1,3}( \d{3})+|\d+)([.,]\d+)?|[.,]\d+)$/.test(spaced)) return { ok: false, reason: 'not-a-number' };
  const t = spaced.replace(/ /g, '');
  if (/^[+-]?\d{1,3}[.,]\d{3}$/.test(t)) return { ok: false, reason: 'ambiguous' };
  const value = Number(t.replace(',', '.'));
  return Number.isFinite(value) ? { ok: true, value } : { ok: false, reason: 'not-a-number' };
}

/** A number as a decimal field shows it in the language: "-150,5" in German, "-150.5" in English. */
export function decimalText(value: number | null, language: 'en' | 'de'): string {
  if (value === null || !Number.isFinite(value)) return '';
  const s = String(value);
  return language === 'de' ? s.replace('.', ',') : s;
}
