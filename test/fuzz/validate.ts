import type { Schema } from './api-doc.js';

// The subset of JSON Schema the broker's OpenAPI document uses (type, required, properties,
// additionalProperties: false, items, enum, const, oneOf, bounds, pattern, format date-time), as a checker: the fuzzer
// holds every success answer to the schema the document promises for it. Returns what does
// not conform, as `path: problem` lines (empty when the value conforms).
const typeOf = (v: unknown): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};

const matchesType = (v: unknown, type: unknown): boolean => {
  const types = Array.isArray(type) ? type : [type];
  const actual = typeOf(v);
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export const conforms = (value: unknown, schema: Schema, at = '$'): string[] => {
  const problems: string[] = [];
  const fail = (msg: string): void => {
    problems.push(`${at}: ${msg}`);
  };
  if ('const' in schema && JSON.stringify(value) !== JSON.stringify(schema['const']))
    fail(`expected ${JSON.stringify(schema['const'])}`);
  if (Array.isArray(schema['enum']) && !schema['enum'].some((e) => e === value))
    fail(`expected one of ${JSON.stringify(schema['enum'])}`);
  if (Array.isArray(schema['oneOf'])) {
    const ok = (schema['oneOf'] as Schema[]).filter((s) => conforms(value, s, at).length === 0);
    if (ok.length !== 1) fail(`matches ${ok.length} of the oneOf alternatives, not exactly one`);
  }
  if (schema['type'] !== undefined && !matchesType(value, schema['type'])) {
    fail(`expected ${JSON.stringify(schema['type'])}, got ${typeOf(value)}`);
    return problems;
  }
  if (typeof value === 'string') {
    const { minLength, maxLength, pattern, format } = schema;
    if (typeof minLength === 'number' && value.length < minLength) fail(`shorter than ${minLength}`);
    if (typeof maxLength === 'number' && value.length > maxLength) fail(`longer than ${maxLength}`);
    if (typeof pattern === 'string' && !new RegExp(pattern, 'u').test(value)) fail(`does not match ${pattern}`);
    if (format === 'date-time' && (!ISO.test(value) || Number.isNaN(Date.parse(value)))) fail('not a date-time');
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) fail(`below ${schema['minimum']}`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) fail(`above ${schema['maximum']}`);
  }
  if (Array.isArray(value) && typeof schema['items'] === 'object' && schema['items'] !== null) {
    const items = schema['items'] as Schema;
    value.forEach((v, i) => {
      problems.push(...conforms(v, items, `${at}[${i}]`));
    });
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const k of Array.isArray(schema['required']) ? (schema['required'] as string[]) : [])
      if (!(k in obj)) fail(`missing required ${k}`);
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const [k, s] of Object.entries(props)) if (k in obj) problems.push(...conforms(obj[k], s, `${at}.${k}`));
    if (schema['additionalProperties'] === false)
      for (const k of Object.keys(obj)) if (!(k in props)) fail(`unknown key ${k}`);
  }
  return problems;
};
