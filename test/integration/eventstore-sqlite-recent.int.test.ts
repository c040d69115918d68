import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chained } from '../../adapters/eventstore/chained.js';
import { recentRows } from '../../adapters/eventstore/sqlite-recent.js';
import { createSqliteEventStore, type SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { type EventRow, EVENT_COLUMNS, toRecordedEvent } from '../../adapters/eventstore/sqlite-tables.js';
import type { SerializedEvent } from '../../adapters/eventstore/sqlite-writer.js';
import type { EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import { compiledSqliteStore } from './fixtures/compiled-sqlite-store.js';
import { followLog } from './fixtures/log-follower.js';

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

// The links as read from the file: each metadata text parsed, its chain's hash when a string.
const fileLinks = (file: string, after: number, limit: number) => {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[number, number], { position: number; metadata: string }>(
        'SELECT position, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?',
      )
      .all(after, limit)
      .map(({ position, metadata }) => {
        const hash = (JSON.parse(metadata) as { chain?: { hash?: unknown } }).chain?.hash;
        return { position, hash: typeof hash === 'string' ? hash : undefined };
      });
  } finally {
    db.close();
  }
};

// The writer thread's entry loads from compiled code (the server's default writer).
const compiled = compiledSqliteStore('eventstore-recent');
afterAll(compiled.cleanup);
const open = async (file: string, writerThread: boolean) =>
  (writerThread ? await compiled.load() : createSqliteEventStore)({ file, writerThread });

const subscriber = followLog;

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

  it('are never read from the file by a follower at the head, and are what the file holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-recent-'));
    const file = join(dir, 'events.db');
    const store = await open(file, writerThread);
    // The file reads the subscriptions make (they read through the store's own readAll).
    const fileReads: number[] = [];
    const readAll = store.readAll.bind(store);
    (store as { readAll: SqliteEventStore['readAll'] }).readAll = (opts) => {
      fileReads.push(opts.after ?? 0);
      return readAll(opts);
    };
    const head = subscriber(store, 0);
    try {
      await store.append('s', [event(0)], 'no_stream');
      await head.reach(1);
      fileReads.length = 0;
      for (let n = 1; n < 20; n++) {
        await store.append('s', [event(n)], n - 1);
        await head.reach(n + 1);
      }
      // Before: one read of the file per commit, for the empty page after it (`after` = the head).
      expect(fileReads).toEqual([]);
      expect(plain(head.seen)).toEqual(fileRows(file, 0, 100));
    } finally {
      await head.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('read a row another connection wrote after the head at the next commit, in its place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-recent-'));
    const file = join(dir, 'events.db');
    const store = await open(file, writerThread);
    const head = subscriber(store, 0);
    try {
      await store.append('mine', [event(0)], 'no_stream');
      await head.reach(1);
      const other = new Database(file);
      other.pragma('busy_timeout = 5000');
      other
        .prepare('INSERT INTO events (stream, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?)')
        .run('theirs', 0, 'T', '{"by":"another"}', JSON.stringify(event(9).metadata));
      other.close();
      await store.append('mine', [event(1)], 0);
      await head.reach(3);
      expect(head.seen.map((e) => e.stream)).toEqual(['mine', 'theirs', 'mine']);
      expect(plain(head.seen)).toEqual(fileRows(file, 0, 10));
    } finally {
      await head.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("give the audit checkpoint's links as the file does, chained, unchained or odd, read by a follower or not", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-recent-'));
    const file = join(dir, 'events.db');
    const store = await open(file, writerThread);
    const head = subscriber(store, 0);
    try {
      // Before the chain: no link. A link whose hash is no string. Then chained appends, concurrent.
      await store.append('old', [event(0)], 'no_stream');
      await store.append(
        'odd',
        [{ ...event(1), metadata: { ...event(1).metadata, chain: { prev: 'x', hash: 7 } as never } }],
        'no_stream',
      );
      const log = chained(store);
      let n = 2;
      for (let round = 0; round < 6; round++)
        await Promise.all(
          Array.from({ length: 4 }, (_, s) => log.append(`s-${String(s)}`, [event(n++), event(n++)], 'any')),
        );
      // The follower has read (and parsed) the metadata of the first half only.
      await head.reach(n);
      for (const e of head.seen.slice(0, n / 2)) expect(e.metadata).toBeDefined();
      for (let after = 0; after <= n; after++)
        for (const limit of [0, 1, 3, 1000])
          expect(await store.links(after, limit)).toEqual(fileLinks(file, after, limit));
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

  it('know the newest position they committed, and only that one, as the head', () => {
    const recent = recentRows(100);
    expect(recent.atHead(0)).toBe(false); // nothing committed yet: the file says
    recent.committed(append('a', 2), { kind: 'appended', nextRevision: 1, position: 2 });
    expect([0, 1, 2, 3].map((p) => recent.atHead(p))).toEqual([false, false, true, false]);
    recent.committed(append('a', 1), { kind: 'wrong_expected_revision', stream: 'a', expected: 0, actual: 1 });
    expect(recent.atHead(2)).toBe(true);
    recent.committed(append('b', 1), { kind: 'appended', nextRevision: 0, position: 4 });
    expect([2, 3, 4].map((p) => recent.atHead(p))).toEqual([false, false, true]);
  });

  it('hand the same event to every page of the newest rows, each as the row reads', () => {
    const recent = recentRows(100, 4);
    const rows = [];
    for (let p = 1; p <= 6; p++) {
      const a = append('s', 1);
      recent.committed(a, { kind: 'appended', nextRevision: p - 1, position: p });
      rows.push({ position: p, stream: 's', revision: p - 1, ...(a.events[0] as SerializedEvent) });
    }
    const first = recent.page(0, 10) ?? [];
    const again = recent.page(0, 10) ?? [];
    const tail = recent.page(4, 10) ?? [];
    // Positions 3-6 are the hot end: one event each; 1 and 2 are made per page.
    expect(first.map((e, i) => e === again[i])).toEqual([false, false, true, true, true, true]);
    expect(tail[0]).toBe(first[4]);
    const asRead = (events: readonly RecordedEvent[]) => events.map((e) => ({ ...e }));
    expect(asRead(first)).toEqual(asRead(rows.map(toRecordedEvent)));
    expect(asRead(again)).toEqual(asRead(first));
    // Two more commits: 3 and 4 leave the hot end and their events are dropped.
    for (let p = 7; p <= 8; p++)
      recent.committed(append('s', 1), { kind: 'appended', nextRevision: p - 1, position: p });
    const later = recent.page(2, 10) ?? [];
    expect(later.slice(0, 4).map((e, i) => e === first[i + 2])).toEqual([false, false, true, true]);
    expect(asRead(later.slice(0, 4))).toEqual(asRead(first.slice(2)));
  });

  it('keep at most their capacity, the newest', () => {
    const recent = recentRows(3);
    for (let p = 1; p <= 5; p++)
      recent.committed(append('s', 1), { kind: 'appended', nextRevision: p - 1, position: p });
    expect(recent.page(1, 10)).toBeUndefined();
    expect(recent.page(2, 10)?.map((r) => r.position)).toEqual([3, 4, 5]);
  });
});
