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
