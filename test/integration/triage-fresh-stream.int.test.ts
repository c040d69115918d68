import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDeliveryState } from '../../adapters/delivery-state/sqlite.js';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { startReactors } from '../../delivery/runner.js';
import type { Reactors } from '../../delivery/runner.js';
import type { DeliveryStateStore } from '../../ports/delivery-state.js';
import type { EventStore } from '../../ports/eventstore.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { T0, ctx, ok, recordingChannel, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// Triage plans a message just published without reading its triage stream first (issue 15):
// the first batch is appended expecting no stream, and the stream is read only when that append
// is refused, because another reactor process (or this one before a crash) planned it first.
// A second reactor process on the same log, with a state of its own, catching up on messages
// the first one planned in full (direct, multicast in several batches, a thread's), must plan
// none of them again: each of its first appends is refused, and it goes on from what it reads.
let w: World;
const others: { reactors: Reactors; state: DeliveryStateStore }[] = [];
afterEach(async () => {
  for (const o of others.splice(0)) {
    await o.reactors.stop();
    await o.state.close();
  }
  await w.close();
});

/** The log, counting the reads of triage streams. */
const counting = (store: EventStore): { store: EventStore; reads: string[] } => {
  const reads: string[] = [];
  return {
    reads,
    store: {
      ...store,
      read: (stream, opts) => {
        if (stream.startsWith('triage-')) reads.push(stream);
        return store.read(stream, opts);
      },
    },
  };
};

/** Another reactor process on `w`'s log: its own state file and channels. */
const node = (name: string, store: EventStore): Reactors => {
  const state = openSqliteDeliveryState(join(w.dir, `reactors-${name}.db`));
  const reactors = startReactors({
    store,
    state,
    revokeDevice: (...args) => w.commands.revokeDevice(...args),
    clock: w.clock,
    presence: w.presence,
    channels: { webpush: recordingChannel('webpush') },
    pollMs: 60_000,
    node: name,
    triage: { batchSize: 2 },
  });
  others.push({ reactors, state });
  return reactors;
};

const triaged = async (): Promise<string[]> =>
  (await w.events('MessageTriaged')).map((e) => {
    const d = e.data as { mid: string; batch: number };
    return `${d.mid}#${String(d.batch)}`;
  });

describe('triage of a message just published', () => {
  it('does not read its stream; a second process catching up plans nothing again', async () => {
    w = world({ node: 'node-a', triage: { batchSize: 2 } });
    // Node a is the only planner while the messages are sent (its own reactors stopped).
    await w.reactors.stop();
    const a = counting(w.store);
    const nodeA = node('a', a.store);
    const ids = createIdGenerator(() => T0.getTime());
    const users = ['u1', 'u2', 'u3', 'u4', 'u5'].map(asUserId);
    for (const u of users) await ok(w.commands.enlist(ctx(u, w.now()), subscription(u)));
    const direct = asMessageId(ids.messageId());
    await ok(w.commands.send(ctx('admin', w.now(), true), direct, asUserId('u1'), { msg: 'hi', opts: {} }));
    const multi = asMessageId(ids.messageId());
    await ok(w.commands.multicast(ctx('admin', w.now(), true), multi, users, { msg: 'hi', opts: {} }));
    await nodeA.settle();
    // Planned in full (five recipients, two a batch), without reading either stream.
    const planned = (await triaged()).sort();
    expect(planned).toEqual([`${direct}#0`, `${multi}#0`, `${multi}#1`, `${multi}#2`].sort());
    expect(a.reads).toEqual([]);
    // A thread's message is read first (its first batch may root a live list: delivery/triage.ts).
    const tid = 't-fresh';
    await ok(w.commands.createThread(ctx('u1', w.now()), { tid: tid as never, opens: true }));
    for (const u of ['u1', 'u2', 'u3']) await ok(w.commands.subscribe(ctx(u, w.now()), tid as never));
    const threaded = asMessageId(ids.messageId());
    await ok(w.commands.publish(ctx('u1', w.now()), threaded, tid as never, { msg: 'hi', opts: {} }));
    await nodeA.settle();
    expect(a.reads).toEqual([`triage-${threaded}`]);
    const all = await triaged();
    // (three members, two a page, the sender left out of the first)
    expect(all.filter((t) => t.startsWith(threaded))).toEqual([`${threaded}#0`, `${threaded}#1`]);

    // Node b starts on the same log with no state: it folds every message again and plans each
    // one expecting no stream, is refused, reads what node a wrote, and appends nothing.
    const b = counting(w.store);
    const nodeB = node('b', b.store);
    await nodeB.settle();
    await nodeA.settle();
    expect(await triaged()).toEqual(all);
    expect([...b.reads].sort()).toEqual([direct, multi, threaded].map((m) => `triage-${m}`).sort());
    // And its plans are node a's: it sends nothing node a did not plan (both dispatch the same units).
    expect((await w.events('DeliverySucceeded')).length).toBeGreaterThan(0);
  });
});
