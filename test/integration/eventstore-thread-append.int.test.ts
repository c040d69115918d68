import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteEventStore, type SqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { proxiedAppend, serveAppends } from '../../adapters/eventstore/thread-append.js';
import { openWorkerLog } from '../../app/worker-log.js';
import type { EventStore, EventToAppend } from '../../ports/eventstore.js';
import { eventStoreContract } from '../contract/eventstore.contract.js';

// The log as an embedded node's reactors' thread sees it (app/reactors-thread/worker.ts): its
// own connection to the file for reads, woken by the owner's commit counter, and appends sent
// over a MessagePort to the owner's one writer. Both ends of the channel are in this thread
// here; a worker runs the same code.
interface Split {
  readonly owner: SqliteEventStore;
  readonly store: EventStore;
  close(): Promise<void>;
}

const split = (): Split => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-thread-append-'));
  const file = join(dir, 'events.db');
  const owner = createSqliteEventStore({ file });
  const channel = new MessageChannel();
  const served = serveAppends(owner, channel.port1);
  const appends = proxiedAppend(channel.port2);
  const reads = openWorkerLog({ eventsFile: file, keysFile: undefined, commitSignal: owner.commitSignal });
  const store: EventStore = { ...reads.store, append: appends.append };
  return {
    owner,
    store,
    close: async () => {
      appends.close();
      served.close();
      channel.port1.close();
      await reads.close();
      await owner.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

eventStoreContract('sqlite, read in another connection, appended over a MessagePort', () => {
  const s = split();
  return Promise.resolve({ store: s.store, cleanup: () => s.close() });
});

const event = (n: number): EventToAppend => ({
  type: 'Noted',
  data: { n, text: 'ü€ 😀' },
  metadata: { actor: { kind: 'system' } } as unknown as EventToAppend['metadata'],
});

describe('appends over a MessagePort to the log owner', () => {
  let s: Split | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it("answers a wrong expected revision with the owner's actual revision, and appends nothing", async () => {
    s = split();
    expect(await s.store.append('note-1', [event(0), event(1)], 'no_stream')).toMatchObject({
      kind: 'appended',
      nextRevision: 1,
    });
    expect(await s.store.append('note-1', [event(2)], 0)).toEqual({
      kind: 'wrong_expected_revision',
      stream: 'note-1',
      expected: 0,
      actual: 1,
    });
    expect(await s.store.append('note-1', [event(3)], 'no_stream')).toMatchObject({
      kind: 'wrong_expected_revision',
      actual: 1,
    });
    expect((await s.owner.read('note-1')).map((e) => (e.data as { n: number }).n)).toEqual([0, 1]);
  });

  it('keeps the order of appends sent without waiting, against appends made by the owner itself', async () => {
    s = split();
    const store = s.store;
    // 300 appends each expecting the revision the previous one made: any reordering is a conflict.
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => store.append('ordered', [event(i)], i === 0 ? 'no_stream' : i - 1)),
    );
    expect(results.every((r) => r.kind === 'appended')).toBe(true);
    const positions = results.map((r) => (r.kind === 'appended' ? r.position : -1));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    // The owner's own writes interleave with the proxied ones, and the owner's revision cache agrees.
    expect(await s.owner.append('ordered', [event(300)], 299)).toMatchObject({ kind: 'appended', nextRevision: 300 });
    expect(await store.append('ordered', [event(301)], 299)).toMatchObject({
      kind: 'wrong_expected_revision',
      actual: 300,
    });
    expect(await store.append('ordered', [event(301)], 300)).toMatchObject({ kind: 'appended', nextRevision: 301 });
    // And the reading side sees every event, data intact, in order.
    const read = await store.read('ordered');
    expect(read.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 302 }, (_, i) => i));
    expect(read[0]?.data).toEqual({ n: 0, text: 'ü€ 😀' });
  });

  it("rejects with the owner's error, and every waiting append once the owner is gone", async () => {
    s = split();
    await s.owner.close();
    await expect(s.store.append('late', [event(0)], 'any')).rejects.toThrow('event store is closed');
    const channel = new MessageChannel();
    const appends = proxiedAppend(channel.port2);
    const waiting = appends.append('x', [event(0)], 'any');
    appends.fail('the owner exited');
    await expect(waiting).rejects.toThrow('the owner exited');
    await expect(appends.append('x', [event(1)], 'any')).rejects.toThrow('the owner exited');
    appends.close();
    channel.port1.close();
  });
});
