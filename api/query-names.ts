import { operations } from '../schema/openapi.js';
import { READ_OPTIONS, takesReadOptions } from '../schema/openapi-operation.js';
import { preview } from '../schema/json.js';
import { errors, type ApiError } from './errors.js';
import type { Method } from './route.js';

// The query parameters a /api/v2 operation takes are the ones its OpenAPI entry lists
// (schema/openapi.ts): any other one, or one given twice, is refused naming it. Before, the
// audit and analytics routes refused them and the others ignored them, so a client's typo
// (`/inbox?after=` for `?before=`) paged from the start for ever without a word. The older
// surfaces (/api/v1, onadata's, /notify) keep ignoring what they do not read, as the systems
// they replace did.

const POSITION = /^[1-9]\d{0,15}$/;

// A parameter's name as the client wrote it, or escaped and cut when it would not print as one.
const shown = (name: string): string => (/^[\w.-]{1,64}$/.test(name) ? name : preview(name, 40));

const valueError = (name: string, value: string): ApiError | undefined => {
  if (name === 'consistency' && value !== 'eventual')
    return errors.invalidQuery(name, `expected eventual (got ${preview(value)})`);
  if (name === 'min_position' && !POSITION.test(value))
    return errors.invalidQuery(name, `expected a log position, a positive integer (got ${preview(value)})`);
  return undefined;
};

/** The check for a route's query, or undefined for a route outside /api/v2 (or undocumented). */
export const queryNames = (
  path: string,
  method: Method,
): ((query: URLSearchParams) => ApiError | undefined) | undefined => {
  if (!path.startsWith('/api/v2/')) return undefined;
  const op = operations[path]?.[method];
  if (op === undefined) return undefined;
  const names = new Set<string>([...(op.query ?? []), ...(takesReadOptions(method, path) ? READ_OPTIONS : [])]);
  const expected = names.size === 0 ? 'no query parameters' : `one of ${[...names].join(', ')}`;
  return (query) => {
    const seen = new Set<string>();
    for (const [name, value] of query) {
      if (!names.has(name)) return errors.invalidQuery(shown(name), `unknown parameter (expected ${expected})`);
      if (seen.has(name)) return errors.invalidQuery(name, 'given more than once');
      seen.add(name);
      const bad = valueError(name, value);
      if (bad !== undefined) return bad;
    }
    return undefined;
  };
};
