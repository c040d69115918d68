import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chained } from '../../adapters/eventstore/chained.js';
import { sealed } from '../../adapters/eventstore/sealed.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import type { EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import { ERASED_TEXT } from '../../schema/personal.js';
import { memoryKeys } from '../unit/gdpr/memory-keys.js';
import { compiledSqliteStore } from './fixtures/compiled-sqlite-store.js';
import { followLog } from './fixtures/log-follower.js';

// What the followers of the embedded log are handed from the rows this process just committed
// (adapters/eventstore/sqlite-recent.ts: its pages, the events shared between them, the empty
// page at the head) must be what a read of the file gives, through the whole stack the node
// uses (personal fields sealed above the hash chain): the same fields in the same order, the
// same types, positions and metadata with its chain, and an event sealed under a key destroyed
// later redacted after the erasure exactly as read back, here and after a restart.
const meta = (i: number): EventToAppend['metadata'] => ({
  eventId: `e${String(i)}`,
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { uid: 'root', roles: ['admin'] },
  correlationId: `c${String(i)}`,
  causationId: `c${String(i)}`,
});
const published = (i: number, uid: string): EventToAppend => ({
  type: 'MessagePublished',
  data: {
    mid: `m${String(i)}`,
    from: 'root',
    audience: { kind: 'user', uid },
    msg: `secret text ${String(i)} é"\\\u2028`,
    subject: 'subject',
    opts: { ttl: 60, tags: ['a'] },
    urgency: 3,
    at: '2026-01-01T00:00:00.000Z',
  },
  metadata: meta(i),
});
const contacts = (i: number, uid: string): EventToAppend => ({
  type: 'ContactPointsChanged',
  data: { uid, email: `${uid}@example.com`, cell: null },
  metadata: meta(i),
});
const plainEvent = (i: number): EventToAppend => ({
  type: 'ThreadCreated',
  data: { tid: `t${String(i)}`, by: 'root', n: i, nested: { b: [1, 2.5, null], a: true } },
  metadata: meta(i),
});

// An event as its reader sees it: every enumerable field, in order (key order included).
const asRead = (events: readonly RecordedEvent[]) => JSON.stringify(events);

const compiled = compiledSqliteStore('eventstore-tail');
afterAll(compiled.cleanup);

const stack = async (file: string, writerThread: boolean, keys: ReturnType<typeof memoryKeys>) => {
  const open = writerThread ? await compiled.load() : createSqliteEventStore;
  const sqlite = open({ file, writerThread });
  const store = sealed(chained(sqlite), { ...keys, close: () => Promise.resolve() });
  return { sqlite, store };
};

const follow = followLog;

describe.each([
  ['the writer thread', true],
  ['the inline writer', false],
])('the log as its followers take it, with %s', (_, writerThread) => {
  it('is the log as read back, before and after an erasure and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-tail-'));
    const file = join(dir, 'events.db');
    const keys = memoryKeys();
    let { store } = await stack(file, writerThread, keys);
    const head = follow(store, 0);
    try {
      // Concurrent appends (one commit batch, several streams), sealed and plain, as the HTTP
      // threads' appends reach the main thread's writer.
      let i = 0;
      for (let round = 0; round < 4; round++) {
        const uid = round % 2 === 0 ? 'dora' : 'eve';
        await Promise.all([
          store.append(`message-${String(i)}`, [published(i++, uid)], 'no_stream'),
          store.append(`user-${uid}`, [contacts(i++, uid)], 'any'),
          store.append(`thread-${String(round)}`, [plainEvent(i++), plainEvent(i++)], 'no_stream'),
        ]);
      }
      const before = await store.head();
      await head.reach(before);
      expect(asRead(head.seen)).toBe(asRead(await store.readAll({ after: 0, limit: 1000 })));
      const m0 = head.seen.find((e) => e.type === 'MessagePublished' && (e.data as { mid: string }).mid === 'm0');
      expect((m0?.data as { msg: string }).msg).toBe('secret text 0 é"\\\u2028');

      // Dora is erased: her keys destroyed, then the erasure appended; then she writes again.
      await store.forget('dora');
      await store.append('user-dora', [{ type: 'UserErased', data: { uid: 'dora' }, metadata: meta(i++) }], 'any');
      await store.append(`message-${String(i)}`, [published(i++, 'dora')], 'no_stream');
      await store.append(`message-${String(i)}`, [published(i++, 'eve')], 'no_stream');
      const after = await store.head();
      await head.reach(after);
      // A follower starting from the beginning now (the newest rows come from memory).
      const late = follow(store, 0);
      await late.reach(after);
      const readBack = await store.readAll({ after: 0, limit: 1000 });
      expect(asRead(late.seen)).toBe(asRead(readBack));
      // And from the head's latest pages.
      const fromMid = follow(store, before - 3);
      await fromMid.reach(after);
      expect(asRead(fromMid.seen)).toBe(asRead(readBack.filter((e) => e.position > before - 3)));
      await late.close();
      await fromMid.close();
      // What was sealed for Dora before the erasure reads redacted; after it, plain.
      const doras = readBack.filter(
        (e) => e.type === 'MessagePublished' && (e.data as { audience: { uid: string } }).audience.uid === 'dora',
      );
      expect(doras.map((e) => (e.data as { msg: string }).msg)).toEqual([
        ERASED_TEXT,
        ERASED_TEXT,
        `secret text ${String(i - 2)} é"\\\u2028`,
      ]);

      // A restart: a new process's followers read the file; the same events again.
      await head.close();
      await store.close();
      ({ store } = await stack(file, writerThread, keys));
      const restarted = follow(store, 0);
      await restarted.reach(after);
      expect(asRead(restarted.seen)).toBe(asRead(readBack));
      // Its own appends, followed from memory, read as the file.
      await store.append(`message-${String(i)}`, [published(i++, 'eve')], 'no_stream');
      await store.append('user-eve', [contacts(i++, 'eve')], 'any');
      const last = await store.head();
      await restarted.reach(last);
      expect(asRead(restarted.seen)).toBe(asRead(await store.readAll({ after: 0, limit: 1000 })));
      await restarted.close();
    } finally {
      await head.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
