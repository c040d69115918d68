import * as t from 'io-ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = Record<string, JsonValue>;

const isJson = (u: unknown, depth: number): boolean => {
  if (depth > 32) return false;
  if (u === null || typeof u === 'boolean' || typeof u === 'string') return true;
  if (typeof u === 'number') return Number.isFinite(u);
  if (Array.isArray(u)) return u.every((x) => isJson(x, depth + 1));
  if (typeof u === 'object') return Object.values(u).every((x) => isJson(x, depth + 1));
  return false;
};

// Free-form user payloads (`opts`, `opts.data`, attributes) are JSON objects of bounded depth;
// the body size limit bounds their width.
export const JsonObjectC = new t.Type<JsonObject, JsonObject, unknown>(
  'JsonObject',
  (u): u is JsonObject => typeof u === 'object' && u !== null && !Array.isArray(u) && isJson(u, 0),
  (u, c) => (typeof u === 'object' && u !== null && !Array.isArray(u) && isJson(u, 0) ? t.success(u as JsonObject) : t.failure(u, c)),
  t.identity,
);
