import * as E from 'fp-ts/lib/Either.js';
import { FILTER_PARAMS, LogFilter, filterInput } from '../../schema/audit.js';
import { describeErrors } from '../../schema/errors.js';
import { errors, type ApiError } from '../errors.js';

// The audit routes' query strings: the filter (schema/audit.ts) and the paging cursor. A
// parameter the route does not know is refused rather than ignored: an auditor who typed
// `?actr=bob` must not read an unfiltered log believing it filtered.

export const nonNegative = (q: URLSearchParams, name: string): E.Either<ApiError, number> => {
  const raw = q.get(name);
  if (raw === null || raw === '') return E.right(0);
  // Digits only: Number() also reads "0x10" as 16, "1e3" as 1000 and " " as 0, so a position
  // typed wrong was read from somewhere else than asked instead of refused.
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0
    ? E.right(n)
    : E.left(errors.invalidQuery(name, 'expected a non-negative integer'));
};

export const EVENT_PARAMS = ['after', 'limit', ...FILTER_PARAMS] as const;

export const filterParam = (q: URLSearchParams): E.Either<ApiError, LogFilter> => {
  const decoded = LogFilter.decode(filterInput((name) => q.get(name)));
  if (E.isLeft(decoded)) {
    const [first = 'filter: invalid'] = describeErrors(decoded.left);
    const colon = first.indexOf(':');
    return E.left(errors.invalidQuery(first.slice(0, colon).replace(/\..*$/, ''), first.slice(colon + 2)));
  }
  const f = decoded.right;
  if (f.from !== undefined && f.to !== undefined && Date.parse(f.from) >= Date.parse(f.to))
    return E.left(errors.invalidQuery('to', 'must be later than from'));
  return E.right(f);
};
