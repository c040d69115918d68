import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { asMessageId } from '../../schema/ids.js';
import type { JsonObject } from '../../schema/json.js';
import { explainMessage } from '../../projections/explain/query.js';
import { T0, ctx, ok, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// A thread page's live list written by reference (MessageTriaged `liveOf`, issue 15): a message to
// a page whose facts are unchanged since a message that wrote the list names that batch; anything
// the list could depend on (presence, membership, urgency) or a reader needs the uids for
// (collapse, variants) writes a fresh list. Explain reads a referenced list as a written one.
let w: World;
afterEach(async () => {
  await w.close();
});

const ids = createIdGenerator(() => T0.getTime());
const tid = 'refs';

interface Triaged {
  readonly mid: string;
  readonly batch: number;
  readonly live?: string[];
  readonly liveAt?: string;
  readonly liveOf?: { mid: string; batch: number; count: number };
}

/** Posts to the thread as alice with `opts`; returns the message's one batch. */
const post = async (opts: JsonObject = {}): Promise<Triaged> => {
  const mid = asMessageId(ids.messageId());
  await ok(w.commands.publish(ctx('alice', w.now()), mid, tid as never, { msg: 'hi', opts }));
  await w.reactors.settle();
  const mine = (await w.events('MessageTriaged')).map((e) => e.data as Triaged).filter((d) => d.mid === mid);
  expect(mine).toHaveLength(1);
  return mine[0] as Triaged;
};

const setUp = async (): Promise<void> => {
  w = world();
  await ok(w.commands.createThread(ctx('alice', w.now()), { tid: tid as never, opens: true }));
  for (const u of ['alice', 'bob', 'carol', 'dave']) await ok(w.commands.subscribe(ctx(u, w.now()), tid as never));
  w.presence.online.add('bob');
  w.presence.online.add('carol');
};

describe('a live list by reference', () => {
  it('names the batch that wrote the same list; a change of presence, membership or urgency writes a fresh one', async () => {
    await setUp();
    const first = await post();
    expect(first.live).toEqual(['bob', 'carol']);
    expect(first.liveOf).toBeUndefined();
    const second = await post();
    expect(second.live).toBeUndefined();
    expect(second.liveOf).toEqual({ mid: first.mid, batch: 0, count: 2 });
    expect(second.liveAt).toBeDefined();
    // Always the root, never a reference.
    expect((await post()).liveOf).toEqual({ mid: first.mid, batch: 0, count: 2 });

    // Presence: dave comes online.
    w.presence.online.add('dave');
    const afterPresence = await post();
    expect(afterPresence.live).toEqual(['bob', 'carol', 'dave']);
    expect((await post()).liveOf).toEqual({ mid: afterPresence.mid, batch: 0, count: 3 });

    // Membership: carol leaves.
    await ok(w.commands.unsubscribe(ctx('carol', w.now()), tid as never));
    const afterMembers = await post();
    expect(afterMembers.live).toEqual(['bob', 'dave']);
    expect((await post()).liveOf).toEqual({ mid: afterMembers.mid, batch: 0, count: 2 });

    // Urgency: the same people, but a list planned at another urgency is not named.
    const urgent = await post({ urgency: 4 });
    expect(urgent.live).toEqual(['bob', 'dave']);
    expect((await post({ urgency: 4 })).liveOf).toEqual({ mid: urgent.mid, batch: 0, count: 2 });
    const back = await post();
    expect(back.live).toEqual(['bob', 'dave']);
    expect((await post()).liveOf).toEqual({ mid: back.mid, batch: 0, count: 2 });
  });

  it('writes the uids where a reader needs them: a collapse key, A/B variants', async () => {
    await setUp();
    await post();
    expect((await post()).liveOf).toBeDefined();
    expect((await post({ collapse: 'score' })).live).toEqual(['bob', 'carol']);
    const variants = await post({
      variants: [
        { name: 'a', msg: 'A', weight: 1 },
        { name: 'b', msg: 'B', weight: 1 },
      ],
    });
    expect(variants.live).toEqual(['bob', 'carol']);
    expect(variants.liveOf).toBeUndefined();
  });

  it('is explained exactly as the list written out', async () => {
    await setUp();
    const first = await post();
    const second = await post();
    expect(second.liveOf).toBeDefined();
    const explain = (mid: string) => explainMessage(w.store, { mid, limit: 100, mayRead: () => true });
    const [a, b] = [await explain(first.mid), await explain(second.mid)];
    const steps = (at: string | undefined) => [
      { channel: 'websocket', deviceId: null, at, rule: 'live-session', digest: null, batch: 0 },
    ];
    // dave is offline with nothing to plan (a full plan), then the live ones after the batch's full plans.
    const asWritten = (liveAt: string | undefined): unknown[] => [
      { uid: 'dave', online: false, plan: [] },
      ...['bob', 'carol'].map((uid) => ({ uid, online: true, plan: steps(liveAt) })),
    ];
    const planned = (r: { readonly uid: string; readonly online: boolean; readonly plan: unknown }) => ({
      uid: r.uid,
      online: r.online,
      plan: r.plan,
    });
    expect(a?.recipients.map(planned)).toEqual(asWritten(first.liveAt));
    expect(b?.recipients.map(planned)).toEqual(asWritten(second.liveAt));
    expect(b?.recipientsPlanned).toBe(a?.recipientsPlanned);
    expect(b?.recipients.map((r) => ({ ...r, plan: [] }))).toEqual(a?.recipients.map((r) => ({ ...r, plan: [] })));
  });
});
