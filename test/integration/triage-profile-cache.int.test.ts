import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import type { MessageId } from '../../schema/ids.js';
import { T0, ctx, ok, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// Triage keeps the recipients' profiles in memory between messages (delivery/profile-cache.ts)
// and drops a user's entry when its fold meets a change of their profile. Each change below
// comes between two messages to the same recipient; the second plan must be the one the
// directory gives after the change, never the remembered one.
let w: World;
afterEach(async () => {
  await w.close();
});

const ids = createIdGenerator(() => T0.getTime());
const bob = asUserId('bob');
const admin = () => ctx('admin', w.now(), true);

/** Sends bob a message and returns his plan in it: `live` when he is recorded by uid only. */
const planFor = async (): Promise<string[] | 'live'> => {
  const mid: MessageId = asMessageId(ids.messageId());
  await ok(w.commands.send(admin(), mid, bob, { msg: 'hello bob', opts: {} }));
  await w.reactors.settle();
  const triaged = (await w.events('MessageTriaged')).map(
    (e) => e.data as { mid: string; live?: string[]; recipients: { uid: string; steps: { channel: string }[] }[] },
  );
  const mine = triaged.find((d) => d.mid === mid);
  if (mine?.live?.includes('bob') === true) return 'live';
  return (mine?.recipients.find((r) => r.uid === 'bob')?.steps ?? []).map((s) => s.channel);
};

describe('triage after a profile change between two messages', () => {
  it('plans from the changed profile: devices, contact points and channel preferences', async () => {
    w = world();
    w.presence.online.add('bob');
    await ok(w.commands.changeProfile(ctx('bob', w.now()), bob, { channels: [] }));
    expect(await planFor()).toBe('live');
    expect(await planFor()).toBe('live');

    await ok(w.commands.enlist(ctx('bob', w.now()), subscription('bob')));
    expect(await planFor()).toEqual(['websocket', 'webpush']);

    await ok(w.commands.changeProfile(ctx('bob', w.now()), bob, { email: 'bob@example.org' }));
    expect(await planFor()).toEqual(['websocket', 'webpush', 'email']);

    await ok(w.commands.changeProfile(ctx('bob', w.now()), bob, { channels: ['~push'] }));
    expect(await planFor()).toEqual(['websocket', 'email']);

    await ok(w.commands.changeProfile(ctx('bob', w.now()), bob, { email: null }));
    expect(await planFor()).toBe('live');
  });
});
