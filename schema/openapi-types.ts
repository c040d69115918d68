// The shapes the OpenAPI document is written in (schema/openapi.ts and its parts, one per surface).
export type Json = Record<string, unknown>;
export type Access = 'public' | 'user' | 'admin' | 'auditor' | 'analyst';
export interface Op {
  access: Access;
  body?: string;
  summary: string;
  ok?: Json;
  params?: string[];
  query?: string[];
  /** Query parameters that must be given, with the values they may take. */
  required?: Record<string, readonly string[]>;
  idempotent?: boolean;
  /** Why the operation may answer 409, besides a request with the same Idempotency-Key still running. */
  conflict?: string;
  /** Why a public operation may answer 503. */
  unavailable?: string;
  /** Other error answers (by status) a public operation gives, which the access rules do not imply. */
  errors?: Record<number, string>;
}
export type Operations = Record<string, Partial<Record<'get' | 'post' | 'put' | 'delete', Op>>>;

/** One table of operations from several: a path named twice keeps every method of each. */
export const mergeOperations = (...parts: Operations[]): Operations => {
  const out: Operations = {};
  for (const part of parts) for (const [path, ops] of Object.entries(part)) out[path] = { ...out[path], ...ops };
  return out;
};

// The objects of request bodies that /api/v2 closes (api/route.ts `decode`, schema/unknown-keys.ts):
// their schema says `additionalProperties: false`. The compatibility routes that share a body
// with /api/v2 (/api/v1's send, multicast, broadcast and enlist) ignore unknown keys, so their
// operations name a `lenient` copy without it. An object the codec itself closes on every
// surface (a campaign's `opts.throttle`, a segment query's nodes) is written with
// `additionalProperties: false` directly and stays so in the copy.
const closedByApi = new WeakSet<object>();
/** The schema of an object whose unknown keys /api/v2 refuses. */
export const closed = (schema: Json): Json => {
  const s = { ...schema, additionalProperties: false };
  closedByApi.add(s);
  return s;
};
/** The schema as a compatibility route reads it: every object `closed` made open again. */
export const lenient = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(lenient);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, lenient(v)]));
  if (closedByApi.has(schema)) delete out['additionalProperties'];
  return out;
};
