import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventToAppend } from '../../ports/eventstore.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import type { SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { openWriter } from '../../adapters/eventstore/sqlite-tables.js';
import { compiledSqliteStore } from './fixtures/compiled-sqlite-store.js';

const metadata = {
  eventId: 'e',
  occurredAt: '2024-05-01T12:00:00.000Z',
  actor: { uid: 'u', roles: [] },
  correlationId: 'c',
  causationId: 'c',
};
const ev = (type = 'Tick', data: unknown = { n: 1 }): EventToAppend => ({ type, data, metadata });
const kinds = (results: readonly PromiseSettledResult<{ kind: string }>[]): string[] =>
  results.map((r) => (r.status === 'fulfilled' ? r.value.kind : 'rejected'));

// Both writers: inline (the event loop commits) and the writer thread (MSGXC_EMBEDDED_WRITER=
// thread, the server's default), whose store is compiled so that its thread's entry loads.
const compiled = compiledSqliteStore('eventstore-commit');
afterAll(compiled.cleanup);

describe.each([
  ['inline', false],
  ['writer thread', true],
])('SQLite event store: durability and group commit (%s)', (_, writerThread) => {
  let dir = '';
  let file = '';
  let stores: SqliteEventStore[] = [];
  let create: typeof createSqliteEventStore = createSqliteEventStore;
  const open = (maxBatch?: number): SqliteEventStore => {
    const s = create(maxBatch === undefined ? { file, writerThread } : { file, maxBatch, writerThread });
    stores.push(s);
    return s;
  };
  beforeEach(async () => {
    if (writerThread) create = await compiled.load();
    dir = mkdtempSync(join(tmpdir(), 'msgxc-es-'));
    file = join(dir, 'events.db');
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens the file in WAL mode with fsync on every commit, creating its directory', () => {
    const db = openWriter(join(dir, 'nested', 'events.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    db.close();
  });

  it('finds every event after reopening and carries on from there', async () => {
    const first = open();
    await first.append('a', [ev('A0'), ev('A1')], 'no_stream');
    await first.append('b', [ev('B0', { nested: { ok: true } })], 'no_stream');
    const before = await first.readAll({ limit: 100 });
    await first.close();

    const second = open();
    expect(await second.readAll({ limit: 100 })).toEqual(before);
    expect(await second.head()).toBe(3);
    expect(await second.append('a', [ev()], 0)).toMatchObject({ kind: 'wrong_expected_revision', actual: 1 });
    expect(await second.append('a', [ev()], 1)).toEqual({ kind: 'appended', nextRevision: 2, position: 4 });
  });

  it('groups 200 concurrent appends into a handful of commits', async () => {
    const store = open();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => store.append(`s-${String(i)}`, [ev()], 'no_stream')),
    );
    expect(results.every((r) => r.kind === 'appended')).toBe(true);
    expect(store.stats().appends).toBe(200);
    expect(store.stats().commits).toBeLessThanOrEqual(5);
    // The counter projection workers wait on moved once per commit, whichever thread committed.
    expect(Atomics.load(new Int32Array(store.commitSignal), 0)).toBe(store.stats().commits);
  });

  it('commits one transaction per append when maxBatch is 1', async () => {
    const store = open(1);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(`s-${String(i)}`, [ev()], 'no_stream')));
    expect(store.stats()).toEqual({ commits: 50, appends: 50 });
  });

  it('checks each append of a batch against the appends before it', async () => {
    const store = open();
    const results = await Promise.all([
      store.append('s', [ev()], 'no_stream'),
      store.append('s', [ev(), ev()], 0),
      store.append('s', [ev()], 0),
      store.append('s', [], 2),
      store.append('s', [ev()], 'stream_exists'),
    ]);
    expect(store.stats().commits).toBe(1);
    expect(results).toEqual([
      { kind: 'appended', nextRevision: 0, position: 1 },
      { kind: 'appended', nextRevision: 2, position: 3 },
      { kind: 'wrong_expected_revision', stream: 's', expected: 0, actual: 2 },
      { kind: 'appended', nextRevision: 2, position: 3 },
      { kind: 'appended', nextRevision: 3, position: 4 },
    ]);
  });

  it('rejects only the append SQLite refuses; its batch-mates commit', async () => {
    const store = open();
    const admin = new Database(file);
    admin.exec(
      "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'Poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
    );
    admin.close();
    const results = await Promise.allSettled([
      store.append('a', [ev()], 'no_stream'),
      store.append('b', [ev('Poison')], 'no_stream'),
      store.append('c', [ev()], 'no_stream'),
      store.append('d', [ev('Tick', { n: 10n })], 'no_stream'),
    ]);
    expect(kinds(results)).toEqual(['appended', 'rejected', 'appended', 'rejected']);
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { message: 'poisoned' } });
    expect((await store.readAll({ limit: 10 })).map((e) => e.stream)).toEqual(['a', 'c']);
    expect(await store.read('b')).toEqual([]);
  });

  it('rejects a whole batch on an error no single append caused, then recovers', async () => {
    const store = open();
    await store.append('s', [ev()], 'no_stream');
    const admin = new Database(file);
    admin.exec('CREATE TRIGGER broken BEFORE INSERT ON events BEGIN SELECT no_such_function(); END');
    const failed = await Promise.allSettled([store.append('a', [ev()], 'any'), store.append('b', [ev()], 'any')]);
    expect(kinds(failed)).toEqual(['rejected', 'rejected']);
    admin.exec('DROP TRIGGER broken');
    admin.close();
    expect(await store.append('a', [ev()], 'no_stream')).toEqual({ kind: 'appended', nextRevision: 0, position: 2 });
    expect(await store.head()).toBe(2);
  });

  it('refuses appends after close and keeps the ones made before it', async () => {
    const store = open();
    const pending = store.append('s', [ev()], 'no_stream');
    const closed = store.close();
    await expect(store.append('s', [ev()], 'any')).rejects.toThrow('closed');
    await closed;
    expect(await pending).toMatchObject({ kind: 'appended' });
    const reopened = open();
    expect(await reopened.read('s')).toHaveLength(1);
  });

  it('hands over an append larger than the hand-off buffer, and smaller ones after it', async () => {
    const store = open();
    // 6 MiB of multi-byte text (up to 3 bytes in UTF-8 per UTF-16 unit), past the writer
    // thread's 4 MiB request buffer; the inline writer takes it as any other.
    const big = 'é€𝄞x'.repeat(400_000);
    const results = await Promise.all([
      store.append('small-1', [ev()], 'no_stream'),
      store.append('big', [ev('Big', { big }), ev('Big', { big: big.slice(7) })], 'no_stream'),
      store.append('small-2', [ev('Tick', { text: 'naïve ☃' })], 'no_stream'),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['appended', 'appended', 'appended']);
    const read = await store.read('big');
    expect(read.map((e) => e.data)).toEqual([{ big }, { big: big.slice(7) }]);
    expect((await store.read('small-2'))[0]?.data).toEqual({ text: 'naïve ☃' });
    expect(await store.append('after', [ev()], 'no_stream')).toMatchObject({ kind: 'appended', position: 5 });
  });

  it('splits a queue longer than maxBatch into several commits, in order', async () => {
    const store = open(7);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append('one', [ev('Tick', { i })], i === 0 ? 'no_stream' : i - 1)),
    );
    expect(results.map((r) => (r.kind === 'appended' ? r.nextRevision : -1))).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(store.stats().appends).toBe(50);
    expect(store.stats().commits).toBeGreaterThanOrEqual(8);
    expect((await store.read('one')).map((e) => e.data)).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
  });
});
