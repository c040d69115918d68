import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { triageStream } from '../../domain/triage/keys.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import type { TriageEventOf } from '../../schema/triage-events.js';
import { SECOND, T0, ctx, ok, subscription, uidOf, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// A multicast to 10,000 users is planned in bounded batches, each its own event, and every
// recipient is in exactly one of them; pushes go out in provider-sized batches.
let w: World;
afterEach(async () => {
  await w.close();
});

describe('a 10,000-user multicast', () => {
  it('is triaged in batches of at most 500 recipients and dispatched once per device', async () => {
    w = world();
    const users = Array.from({ length: 10_000 }, (_, i) => asUserId(`user-${String(i).padStart(5, '0')}`));
    // Every fifth user has a browser subscription; every third is online.
    const withDevice = users.filter((_, i) => i % 5 === 0);
    for (let i = 0; i < withDevice.length; i += 200) {
      await Promise.all(
        withDevice.slice(i, i + 200).map((u) => ok(w.commands.enlist(ctx(u, w.now()), subscription(u)))),
      );
    }
    users.forEach((u, i) => {
      if (i % 3 === 0) w.presence.online.add(u);
    });
    const mid = asMessageId(createIdGenerator(() => T0.getTime()).messageId());
    await ok(w.commands.multicast(ctx('admin', w.now(), true), mid, users, { msg: 'news', opts: {} }));
    await w.reactors.settle(120_000);

    const batches = (await w.store.read(triageStream(mid))).map(
      (e) => e.data as TriageEventOf<'MessageTriaged'>['data'],
    );
    expect(batches).toHaveLength(20);
    expect(batches.map((b) => b.batch)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // A batch's recipients: full plans, and those planned only the websocket by uid (`live`).
    const inBatch = (b: (typeof batches)[number]): string[] => [...b.recipients.map((r) => r.uid), ...(b.live ?? [])];
    expect(Math.max(...batches.map((b) => inBatch(b).length))).toBe(500);
    // Online users with no device have nothing but the websocket: listed by uid only.
    const liveOnly = users.filter((u, i) => w.presence.online.has(u) && i % 5 !== 0);
    expect(new Set(batches.flatMap((b) => b.live ?? []))).toEqual(new Set(liveOnly));
    expect(batches.slice(0, -1).every((b) => b.next !== undefined)).toBe(true);
    expect(batches.at(-1)?.next).toBeUndefined();
    const planned = batches.flatMap(inBatch);
    expect(new Set(planned).size).toBe(10_000);
    expect(Math.max(...batches.map((b) => JSON.stringify(b).length))).toBeLessThan(256 * 1024);

    const offlineWithDevice = withDevice.filter((u) => !w.presence.online.has(u));
    const calls = w.channels.webpush.calls;
    expect(calls).toHaveLength(offlineWithDevice.length);
    expect(new Set(calls.map((c) => uidOf(c.to)))).toEqual(new Set(offlineWithDevice));
    // Web push goes out 100 per call (batches also close when triage is still writing later ones).
    expect(Math.max(...w.channels.webpush.sizes)).toBe(100);
    expect(w.channels.webpush.batches).toBeLessThan(offlineWithDevice.length / 50);

    // The online ones with a device get their push once the push delay passed unseen.
    w.clock.advance(30 * SECOND);
    await w.reactors.settle(120_000);
    expect(w.channels.webpush.calls).toHaveLength(withDevice.length);
    expect(new Set(w.channels.webpush.calls.map((c) => c.id)).size).toBe(withDevice.length);
  }, 180_000);
});
