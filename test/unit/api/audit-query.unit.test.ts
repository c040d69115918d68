import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../../api/errors.js';
import { limitParam } from '../../../api/route.js';
import { filterParam, nonNegative } from '../../../api/routes/audit-query.js';

// The audit routes' query strings (docs/audit.md): a value typed wrong is a 400 naming it,
// never read as something else than the auditor asked for.
const field = (e: E.Either<ApiError, unknown>): string | undefined =>
  E.isLeft(e) ? e.left.msg.split(':')[0] : 'accepted';

describe('the audit routes query string', () => {
  it('reads a position as digits only', () => {
    const pos = (v: string) => nonNegative(new URLSearchParams({ after: v }), 'after');
    expect(pos('16')).toEqual(E.right(16));
    expect(pos('')).toEqual(E.right(0));
    expect(pos('9007199254740991')).toEqual(E.right(Number.MAX_SAFE_INTEGER));
    // Number() reads these as 16, 1000, 5, 0 and 0.
    for (const v of ['0x10', '1e3', '+5', ' ', '0b0', '9007199254740993', '99999999999999999'])
      expect(field(pos(v)), v).toBe('after');
  });

  it('refuses a day its month does not have in from and to', () => {
    const filter = (qs: string) => filterParam(new URLSearchParams(qs));
    expect(field(filter('from=2026-02-28T00:00:00Z&to=2028-02-29T00:00:00Z'))).toBe('accepted');
    expect(field(filter('from=2026-02-30T00:00:00Z'))).toBe('from');
    expect(field(filter('to=2026-04-31T10:00:00Z'))).toBe('to');
    expect(field(filter('from=2027-02-29T00:00:00Z'))).toBe('from');
  });

  it('reads a page size as digits only (every route that pages with limit)', () => {
    const limit = (v: string) => limitParam(new URLSearchParams({ limit: v }), 100, 1000);
    expect(limit('16')).toEqual(E.right(16));
    expect(limit('')).toEqual(E.right(100));
    expect(limit('0016')).toEqual(E.right(16));
    // Number() reads these as 16, 100, 5 and 16.
    for (const v of ['0x10', '1e2', '+5', '16.0', '0', '1001', '-1']) expect(field(limit(v)), v).toBe('limit');
  });
});
