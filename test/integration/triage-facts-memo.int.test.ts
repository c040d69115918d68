import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { asMessageId } from '../../schema/ids.js';
import { T0, ctx, ok, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// Triage reuses a thread page's recipients' facts between messages while the members, their
// profiles and presence are unchanged (delivery/facts-memo.ts). Each change below comes between
// two messages to the same thread; the second split must be the one a fresh read gives.
let w: World;
afterEach(async () => {
  await w.close();
});

const ids = createIdGenerator(() => T0.getTime());
const tid = 'memo';

interface Triaged {
  readonly mid: string;
  readonly batch: number;
  readonly live?: string[];
  readonly liveOf?: { mid: string; batch: number; count: number };
  readonly recipients: { uid: string; steps: { channel: string }[] }[];
}

/** A batch's live uids: its own list, or the one it names (`liveOf`), read from the same log. */
const listOf = (all: readonly Triaged[], d: Triaged): string[] => {
  const ref = d.liveOf;
  if (ref === undefined) return d.live ?? [];
  const root = all.find((r) => r.mid === ref.mid && r.batch === ref.batch);
  expect(root?.live).toHaveLength(ref.count);
  return root?.live ?? [];
};

/** Posts to the thread as `from`; returns who got it live only and who got a full plan (channels). */
const post = async (from: string, admin = false): Promise<{ live: string[]; planned: Record<string, string[]> }> => {
  const mid = asMessageId(ids.messageId());
  await ok(w.commands.publish(ctx(from, w.now(), admin), mid, tid as never, { msg: 'hi', opts: {} }));
  await w.reactors.settle();
  const all = (await w.events('MessageTriaged')).map((e) => e.data as Triaged);
  const mine = all.filter((d) => d.mid === mid);
  return {
    live: mine.flatMap((d) => listOf(all, d)).sort(),
    planned: Object.fromEntries(
      mine.flatMap((d) => d.recipients.map((r) => [r.uid, r.steps.map((s) => s.channel)] as const)),
    ),
  };
};

describe('a thread message after a change since the last one', () => {
  it('plans from the current presence, members, profiles and sender, never the reused page', async () => {
    w = world();
    await ok(w.commands.createThread(ctx('alice', w.now()), { tid: tid as never, opens: true }));
    for (const u of ['alice', 'bob', 'carol']) await ok(w.commands.subscribe(ctx(u, w.now()), tid as never));
    w.presence.online.add('bob');
    w.presence.online.add('carol');
    expect(await post('alice')).toEqual({ live: ['bob', 'carol'], planned: {} });
    expect(await post('alice')).toEqual({ live: ['bob', 'carol'], planned: {} });

    // Presence: carol's session closed.
    w.presence.online.delete('carol');
    expect((await post('alice')).live).toEqual(['bob']);

    // Membership: dave, online but not a member, joins.
    w.presence.online.add('dave');
    expect((await post('alice')).live).toEqual(['bob']);
    await ok(w.commands.subscribe(ctx('dave', w.now()), tid as never));
    expect((await post('alice')).live).toEqual(['bob', 'dave']);

    // A profile: bob enlists a device, so his plan is no longer the websocket alone.
    await ok(w.commands.enlist(ctx('bob', w.now()), subscription('bob')));
    expect(await post('alice')).toMatchObject({ live: ['dave'], planned: { bob: ['websocket', 'webpush'] } });

    // Another sender (an admin): dave is left out, alice (online now) is in.
    w.presence.online.add('alice');
    expect(await post('dave', true)).toMatchObject({ live: ['alice'], planned: { bob: ['websocket', 'webpush'] } });
    expect(Object.keys((await post('dave', true)).planned).sort()).toEqual(['bob', 'carol']);
    expect((await post('alice')).planned).toMatchObject({ bob: ['websocket', 'webpush'] });
  });
});
