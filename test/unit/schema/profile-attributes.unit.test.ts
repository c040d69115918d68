import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { describeErrors } from '../../../schema/errors.js';
import { ProfileBody } from '../../../schema/http.js';

// POST /api/v2/profile's attributes: the reserved keys the user directory reads are held to what
// the import holds them to (schema/profile-attributes.ts); before, `tags: "beta"` or `locale: 5`
// answered 200 and the directory then ignored them, so a segment on the tag never matched.
const refused = (attributes: unknown): string => {
  const r = ProfileBody.decode({ attributes });
  return E.isLeft(r) ? describeErrors(r.left).join('; ') : 'accepted';
};

describe("a profile's attributes", () => {
  it('refuse tags that are not a list of tags, naming the field (and the tag)', () => {
    expect(refused({ tags: 'beta' })).toMatch(/attributes\.tags.*list of at most 64 tags/);
    expect(refused({ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) })).toMatch(/attributes\.tags/);
    expect(refused({ tags: ['ok', 5] })).toMatch(/attributes\.tags\.1.*1\.\.64 characters/);
    expect(refused({ tags: ['ok', ''] })).toMatch(/attributes\.tags\.1/);
    expect(refused({ tags: ['x'.repeat(65)] })).toMatch(/attributes\.tags\.0/);
  });

  it('refuse a locale that is not a name like de-DE', () => {
    expect(refused({ locale: 5 })).toMatch(/attributes\.locale.*de-DE/);
    expect(refused({ locale: 'de DE' })).toMatch(/attributes\.locale/);
    expect(refused({ locale: 'x'.repeat(65) })).toMatch(/attributes\.locale/);
  });

  it('accept tags and a locale as the import does, null to clear them, and any other attribute', () => {
    expect(refused({ tags: ['beta', 'pro'], locale: 'pt_BR', plan: 'pro', tagsx: 'anything' })).toBe('accepted');
    expect(refused({ tags: null, locale: null })).toBe('accepted');
    expect(refused({ nested: { tags: 'not reserved here' } })).toBe('accepted');
  });

  it('still refuse what is not a JSON object within the payload limits', () => {
    expect(refused('tags')).toMatch(/attributes/);
    expect(refused([1, 2])).toMatch(/attributes/);
  });
});
