import fc from 'fast-check';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linkHash, linkTexts } from '../../../adapters/eventstore/chain.js';
import { chained } from '../../../adapters/eventstore/chained.js';
import { createSqliteEventStore } from '../../../adapters/eventstore/sqlite.js';
import { verifyLog } from '../../../adapters/eventstore/verify.js';
import type { EventMetadata } from '../../../schema/metadata.js';
import { numberedEvent } from './numbered-event.js';

// The appender builds an event's JSON once (chain.ts `linkTexts`): the hash it computes from
// those texts must be the one the verifier recomputes from the parsed event (`linkHash`), and
// the texts the engine stores must be what JSON.stringify writes.
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const metadata = fc.record(
  {
    eventId: fc.string(),
    occurredAt: fc.string(),
    actor: fc.record({ uid: fc.string(), roles: fc.array(fc.string()) }),
    correlationId: fc.string(),
    causationId: fc.string(),
    extra: json,
    absent: fc.constant(undefined),
  },
  { requiredKeys: [] },
);
const hex = fc.stringMatching(/^[0-9a-f]{64}$/);

describe('an event linked from texts built once', () => {
  it('hashes as the verifier does and stores what JSON.stringify writes', () => {
    fc.assert(
      fc.property(
        hex,
        fc.string(),
        fc.nat(),
        fc.string(),
        json,
        metadata,
        (prev, stream, revision, type, data, meta) => {
          const m = meta as unknown as Omit<EventMetadata, 'chain'>;
          const texts = linkTexts(prev, { stream, revision, type, data, metadata: m });
          if (data === undefined) return; // not JSON: the plain path
          expect(texts).toBeDefined();
          if (texts === undefined) return;
          expect(texts.hash).toBe(linkHash(prev, { stream, revision, type, data, metadata: m }));
          expect(texts.data).toBe(JSON.stringify(data));
          expect(texts.metadata).toBe(JSON.stringify({ ...m, chain: { prev, hash: texts.hash } }));
          // Read back and hashed again, as `msgxc audit verify` does.
          const back = JSON.parse(texts.metadata) as EventMetadata;
          expect(linkHash(prev, { stream, revision, type, data: JSON.parse(texts.data), metadata: back })).toBe(
            texts.hash,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('empty metadata, and a value that is no JSON', () => {
    const empty = {} as Omit<EventMetadata, 'chain'>;
    const t = linkTexts('p', { stream: 's', revision: 0, type: 'T', data: { a: 1 }, metadata: empty });
    expect(t?.metadata).toBe(JSON.stringify({ chain: { prev: 'p', hash: t?.hash } }));
    expect(linkTexts('p', { stream: 's', revision: 0, type: 'T', data: undefined, metadata: empty })).toBeUndefined();
  });

  it('the embedded log stores the texts it hashed, and verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-link-texts-'));
    try {
      const file = join(dir, 'events.db');
      const store = chained(createSqliteEventStore({ file }));
      for (let i = 0; i < 6; i++) {
        const e = numberedEvent(i);
        await store.append(`s-${String(i % 2)}`, [{ ...e, data: { n: i, text: 'é"\\\u2028', list: [i] } }], 'any');
      }
      const rows = new Database(file, { readonly: true })
        .prepare<[], { data: string; metadata: string }>('SELECT data, metadata FROM events ORDER BY position')
        .all();
      expect(rows).toHaveLength(6);
      for (const r of rows) {
        expect(r.data).toBe(JSON.stringify(JSON.parse(r.data)));
        expect(r.metadata).toBe(JSON.stringify(JSON.parse(r.metadata)));
        expect((JSON.parse(r.metadata) as EventMetadata).chain?.hash).toMatch(/^[0-9a-f]{64}$/);
      }
      expect((await verifyLog(store)).failure).toBeUndefined();
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
