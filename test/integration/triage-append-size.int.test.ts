import { afterEach, describe, expect, it } from 'vitest';
import { triageStream } from '../../domain/triage/keys.js';
import type { EventStore } from '../../ports/eventstore.js';
import { ctx, ok, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';
import { flowHelpers } from './triage-flow-helpers.js';

// JetStream stores one append as one message and refuses one over its max_payload (1 MiB by
// default) with MAX_PAYLOAD_EXCEEDED, where the embedded log takes any size. Triage appended
// four batches of 500 recipients at once, so an audience of long uids with a few devices each
// (the e2e-production run: 2,000 recipients, ~1.3 MB) made every try fail, and triage retried it
// for ever, planning no later message. Here the embedded log refuses appends as JetStream does.
const MAX_PAYLOAD = 1024 * 1024;

let w: World;
afterEach(async () => {
  await w.close();
});
const { newMid, admin } = flowHelpers(() => w);

describe("delivery's appends fit the log's largest message", () => {
  it('plans a broadcast whose batches together are over 1 MiB, and the message after it', async () => {
    let largest = 0;
    const refused: number[] = [];
    const limited = (store: EventStore): EventStore => ({
      ...store,
      append: (stream, events, expected) => {
        const bytes = Buffer.byteLength(JSON.stringify(events.map((e) => ({ t: e.type, d: e.data, m: e.metadata }))));
        if (bytes > MAX_PAYLOAD) {
          refused.push(bytes);
          return Promise.reject(new Error(`MAX_PAYLOAD_EXCEEDED (${String(bytes)} bytes)`));
        }
        largest = Math.max(largest, bytes);
        return store.append(stream, events, expected);
      },
    });
    w = world({}, limited);
    // 700 recipients with uids of 128 characters and 12 web push devices: 1.6 kB of plan each,
    // a page of 500 alone over 512 kB, the two pages of the audience together over 1 MiB.
    const N = 700;
    const DEVICES = 12;
    const uids = Array.from({ length: N }, (_, i) => `u.${String(i).padStart(4, '0')}.`.padEnd(128, 'x'));
    for (let i = 0; i < N; i += 50)
      await Promise.all(
        uids.slice(i, i + 50).map(async (uid) => {
          for (let d = 0; d < DEVICES; d += 1)
            await ok(w.commands.enlist(ctx(uid, w.now()), subscription(`${uid}-${String(d)}`)));
        }),
      );
    const big = newMid();
    await ok(w.commands.broadcast(admin(), big, { msg: 'to everyone', opts: {} }));
    const after = newMid();
    await ok(w.commands.broadcast(admin(), after, { msg: 'and again', opts: {} }));
    await w.reactors.settle();

    const planned = async (mid: string): Promise<string[]> =>
      (await w.store.read(triageStream(mid))).flatMap((e) =>
        (e.data as { recipients: { uid: string }[] }).recipients.map((r) => r.uid),
      );
    expect(refused).toEqual([]);
    expect(await planned(big)).toEqual(uids);
    expect(await planned(after)).toEqual(uids);
    expect(largest).toBeLessThanOrEqual(MAX_PAYLOAD);
  }, 120_000);

  it("writes a push job's outcomes when the provider answers each of 2,000 devices with a long reason", async () => {
    const refused: number[] = [];
    w = world({}, (store) => ({
      ...store,
      append: (stream, events, expected) => {
        const bytes = Buffer.byteLength(JSON.stringify(events.map((e) => ({ t: e.type, d: e.data, m: e.metadata }))));
        if (bytes > MAX_PAYLOAD) {
          refused.push(bytes);
          return Promise.reject(new Error(`MAX_PAYLOAD_EXCEEDED (${String(bytes)} bytes)`));
        }
        return store.append(stream, events, expected);
      },
    }));
    // A proxy's error page in Chinese, clipped to the 1,024 characters a reason keeps: ~3 kB of
    // UTF-8 in each of a provider batch's 500 outcomes (1.5 MB: the job's outcomes were refused,
    // so its 2,000 sends were made and never recorded).
    const page = `<html><body>${'网关错误 '.repeat(300)}`.slice(0, 1024);
    w.channels.fcm.answer = () => ({ kind: 'retry', afterMs: 60_000, reason: page });
    const N = 500;
    const DEVICES = 4;
    const uids = Array.from({ length: N }, (_, i) => `f.${String(i).padStart(4, '0')}.`.padEnd(128, 'x'));
    for (let i = 0; i < N; i += 50)
      await Promise.all(
        uids.slice(i, i + 50).map(async (uid) => {
          for (let d = 0; d < DEVICES; d += 1)
            await ok(w.commands.enlist(ctx(uid, w.now()), { os: 'android', token: `${uid}-${String(d)}` }));
        }),
      );
    await ok(w.commands.broadcast(admin(), newMid(), { msg: 'to everyone', opts: {} }));
    await w.reactors.settle();
    expect(refused).toEqual([]);
    // Each send made once, and each recorded: its retry scheduled with the provider's reason.
    expect(w.channels.fcm.calls).toHaveLength(N * DEVICES);
    const retries = await w.events('DeliveryRetryScheduled');
    expect(retries).toHaveLength(N * DEVICES);
    expect(new Set(retries.map((e) => (e.data as { key: string }).key)).size).toBe(N * DEVICES);
  }, 120_000);
});
