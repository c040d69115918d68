import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedSearchIndex } from '../../adapters/search/embedded.js';
import { AUDIENCE_KINDS, MESSAGE_STATUSES, zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
import type { MessageDoc } from '../../schema/search-documents.js';

// The embedded writer binds a created message's row by position (issue 15: by name cost more per
// message): every field must land in its own column and read back as the document written, with
// and without its nullable fields and variants, with zero and other counts.
const iso = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const nat = fc.integer({ min: 0, max: 1000 });
const counts = fc.oneof(
  fc.constant(zeroCounts()),
  nat.map((n) => ({ ...zeroCounts(), delivered: n, read: n >> 2 })),
);
const funnel = fc.oneof(
  fc.constant(zeroFunnel()),
  nat.map((n) => ({ ...zeroFunnel(), addressed: n, sentAny: n >> 1 })),
);
const doc: fc.Arbitrary<MessageDoc> = fc
  .record({
    n: fc.integer({ min: 0, max: 1_000_000 }),
    tid: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: null }),
    from: fc.string({ minLength: 1, maxLength: 8 }),
    audience: fc.constantFrom(...AUDIENCE_KINDS),
    recipients: fc.option(nat, { nil: null }),
    text: fc.string({ maxLength: 30 }),
    urgency: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    at: iso,
    scheduled: fc.option(iso, { nil: null }),
    status: fc.constantFrom(...MESSAGE_STATUSES),
    counts,
    funnel,
    channels: fc.constantFrom<string[]>([], ['fcm'], ['websocket', 'email']),
    variants: fc.option(
      fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 4 }), weight: nat }), {
        minLength: 1,
        maxLength: 3,
      }),
      { nil: undefined },
    ),
  })
  .map(({ n, variants, ...d }) => ({
    ...d,
    mid: `m${String(n)}`,
    ...(variants === undefined ? {} : { variants }),
  }));

describe('embedded search store: a created message reads back as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-search-row-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  it('on random documents', async () => {
    const index = createEmbeddedSearchIndex({ file: join(dir, 's.db') });
    try {
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(doc, { minLength: 1, maxLength: 8, selector: (d) => d.mid }), async (docs) => {
          await index.reset();
          await index.write(docs.map((d) => ({ kind: 'createMessage', doc: d })));
          const read = await index.messages(docs.map((d) => d.mid));
          expect(docs.map((d) => read.get(d.mid))).toEqual(docs);
        }),
        { numRuns: 200 },
      );
    } finally {
      await index.close();
    }
  });
});
