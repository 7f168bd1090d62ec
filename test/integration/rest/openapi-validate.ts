/**
 * A small validator for the JSON Schema subset our OpenAPI 3.1 documents use (type incl. arrays of types,
 * const, enum, required, properties, additionalProperties: false, items, minItems/maxItems, minimum/maximum,
 * oneOf, local $ref, format date-time). Returns the list of problems with their JSON paths.
 */
type Schema = Record<string, unknown>;

export function validate(doc: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Schema)[k], doc) as Schema;
    return validate(doc, target, value, path);
  }
  const out: string[] = [];
  if (Array.isArray(schema.oneOf)) {
    const ok = (schema.oneOf as Schema[]).filter((s) => validate(doc, s, value, path).length === 0).length;
    if (ok !== 1) out.push(`${path}: matches ${ok} of the oneOf alternatives, expected exactly 1`);
    return out;
  }
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if ('const' in schema && value !== schema.const) out.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${path}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${path}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === 'string' && schema.format === 'date-time' && !Number.isFinite(Date.parse(value))) out.push(`${path}: not a date-time`);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) out.push(`${path}: required ${k} is missing`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) out.push(...validate(doc, props[k]!, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${path}: unexpected ${k}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) out.push(`${path}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) out.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => out.push(...validate(doc, schema.items as Schema, v, `${path}[${i}]`)));
  }
  return out;
}

/** The schema of the response `status` of `method path` (a path template of the document). */
export function responseSchema(doc: Schema, pathTemplate: string, method: string, status: number): Schema {
  const op = ((doc.paths as Schema)[pathTemplate] as Schema | undefined)?.[method.toLowerCase()] as Schema | undefined;
  if (!op) throw new Error(`the document has no ${method} ${pathTemplate}`);
  const r = (op.responses as Schema)[String(status)] as Schema | undefined;
  if (!r) throw new Error(`the document has no ${status} answer for ${method} ${pathTemplate}`);
  return (((r.content as Schema | undefined)?.['application/json'] as Schema | undefined)?.schema as Schema | undefined) ?? {};
}

export function requestSchema(doc: Schema, pathTemplate: string, method: string): Schema {
  const op = ((doc.paths as Schema)[pathTemplate] as Schema)[method.toLowerCase()] as Schema;
  return (((op.requestBody as Schema).content as Schema)['application/json'] as Schema).schema as Schema;
}
