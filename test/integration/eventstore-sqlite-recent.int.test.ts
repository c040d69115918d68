import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recentRows } from '../../adapters/eventstore/sqlite-recent.js';
import { createSqliteEventStore, type SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { type EventRow, EVENT_COLUMNS } from '../../adapters/eventstore/sqlite-tables.js';
import type { EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import { compiledSqliteStore } from './fixtures/compiled-sqlite-store.js';

// The embedded log answers its followers' page after a commit from the rows it just committed
// (adapters/eventstore/sqlite-recent.ts) instead of the file: every page must be the file's
// page, whatever `after` and `limit`, with either writer, and a row the process did not write
// (another connection's) sends the read to the file.
const event = (n: number, text = 'x'): EventToAppend => ({
  type: n % 3 === 0 ? 'A' : 'B',
  data: { n, text },
  metadata: {
    eventId: `e-${String(n)}`,
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { uid: 'u', roles: [] },
    correlationId: 'c',
    causationId: 'c',
  },
});

const plain = (events: readonly RecordedEvent[]) => events.map((e) => ({ ...e, data: e.data, metadata: e.metadata }));

const fileRows = (file: string, after: number, limit: number) => {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .all(after, limit)
      .map((r) => ({ ...r, data: JSON.parse(r.data) as unknown, metadata: JSON.parse(r.metadata) as unknown }));
  } finally {
    db.close();
  }
};

// The writer thread's entry loads from compiled code (the server's default writer).
const compiled = compiledSqliteStore('eventstore-recent');
afterAll(compiled.cleanup);
const open = async (file: string, writerThread: boolean) =>
  (writerThread ? await compiled.load() : createSqliteEventStore)({ file, writerThread });

// What a subscription was handed, and a way to wait until it reaches a position.
const subscriber = (store: SqliteEventStore, after: number) => {
  const seen: RecordedEvent[] = [];
  let wanted: { at: number; done: () => void } | undefined;
  const sub = store.subscribeAll(after, (events) => {
    seen.push(...events);
    const last = seen[seen.length - 1]?.position ?? 0;
    if (wanted !== undefined && last >= wanted.at) wanted.done();
    return Promise.resolve();
  });
  return {
    seen,
    reach: (at: number): Promise<void> =>
      (seen[seen.length - 1]?.position ?? after) >= at
        ? Promise.resolve()
        : new Promise((done) => {
            wanted = { at, done };
          }),
    close: () => sub.close(),
  };
};

describe.each([
  ['the writer thread', true],
  ['the inline writer', false],
])('pages after a commit, with %s', (_, writerThread) => {
  it('are the file pages, to a follower at the head and to one starting anywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-recent-'));
    const file = join(dir, 'events.db');
    const store = await open(file, writerThread);
    const head = subscriber(store, 0);
    try {
      // Concurrent appends of one to three events to a few streams: one batch, several commits.
      let n = 0;
      for (let round = 0; round < 5; round++) {
        const appends = [];
        for (let s = 0; s < 4; s++) {
          const events = Array.from({ length: 1 + ((round + s) % 3) }, () => event(n++, 'é"\\\u2028'));
          appends.push(store.append(`s-${String(s)}`, events, 'any'));
        }
        await Promise.all(appends);
      }
      expect(await store.head()).toBe(n);
      await head.reach(n);
      expect(plain(head.seen)).toEqual(fileRows(file, 0, 1000));
      for (let after = 0; after <= n; after += 3) {
        const late = subscriber(store, after);
        await late.reach(n);
        expect(plain(late.seen)).toEqual(fileRows(file, after, 1000));
        await late.close();
      }
    } finally {
      await head.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('read the file past a row another connection wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-recent-'));
    const file = join(dir, 'events.db');
    const store = await open(file, writerThread);
    const head = subscriber(store, 0);
    try {
      await store.append('mine', [event(0), event(1)], 'no_stream');
      await head.reach(2);
      const other = new Database(file);
      other.pragma('busy_timeout = 5000');
      other
        .prepare('INSERT INTO events (stream, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?)')
        .run('theirs', 0, 'T', '{"by":"another"}', JSON.stringify(event(9).metadata));
      other.close();
      await store.append('mine', [event(2)], 1);
      await head.reach(4);
      expect(head.seen.map((e) => e.stream)).toEqual(['mine', 'mine', 'theirs', 'mine']);
      expect(plain(head.seen)).toEqual(fileRows(file, 0, 10));
    } finally {
      await head.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are not what the store reads for anyone else: an auditor reads the file as it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-recent-'));
    const file = join(dir, 'events.db');
    const store = await open(file, writerThread);
    try {
      await store.append('mine', [event(0)], 'no_stream');
      const other = new Database(file);
      other.prepare('UPDATE events SET data = ? WHERE position = 1').run('{"n":666}');
      other.close();
      expect((await store.readAll({ after: 0, limit: 10 }))[0]?.data).toEqual({ n: 666 });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the recent rows', () => {
  const append = (stream: string, k: number) => ({
    stream,
    expected: 'any' as const,
    events: Array.from({ length: k }, (_, i) => ({ type: 'T', data: `{"i":${String(i)}}`, metadata: '{}' })),
  });

  it('answer a page only from right after `after`, without a gap', () => {
    const recent = recentRows(100);
    recent.committed(append('a', 2), { kind: 'appended', nextRevision: 1, position: 2 });
    recent.committed(append('b', 1), { kind: 'appended', nextRevision: 0, position: 4 }); // 3 is not ours
    recent.committed(append('a', 1), { kind: 'wrong_expected_revision', stream: 'a', expected: 0, actual: 1 });
    expect(recent.page(0, 10)).toBeUndefined(); // runs into the gap at 3
    expect(recent.page(0, 2)?.map((r) => [r.position, r.stream, r.revision])).toEqual([
      [1, 'a', 0],
      [2, 'a', 1],
    ]);
    expect(recent.page(3, 10)?.map((r) => r.position)).toEqual([4]);
    expect(recent.page(4, 10)).toBeUndefined(); // nothing kept after the newest: the file says
    expect(recent.page(2, 10)).toBeUndefined();
  });

  it('keep at most their capacity, the newest', () => {
    const recent = recentRows(3);
    for (let p = 1; p <= 5; p++)
      recent.committed(append('s', 1), { kind: 'appended', nextRevision: p - 1, position: p });
    expect(recent.page(1, 10)).toBeUndefined();
    expect(recent.page(2, 10)?.map((r) => r.position)).toEqual([3, 4, 5]);
  });
});
