import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { T0, ctx, ok, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// Urgency lanes (docs/campaigns.md), on the real embedded log: a low-urgency multicast is being
// dispatched, one job at a time (concurrency 1; batches of 5, a job holds at most 4 batches); an
// urgency-4 message sent meanwhile is sent right after the job in progress, before the
// multicast's remaining jobs. Asserted on the order of the
// provider calls and the log positions of the outcomes, not on time.
let w: World;
afterEach(async () => {
  await w.close();
});

const ids = createIdGenerator(() => T0.getTime());
const ANDROID = (n: string) => ({ os: 'android', token: `tok-${n}-${'x'.repeat(40)}` }) as const;
const ONE = { webpush: 1, fcm: 1, apns: 1, email: 1, sms: 1, mqtt: 1 };

describe('urgency lanes', () => {
  it('an urgency-4 send overtakes a multicast in progress', async () => {
    w = world({ dispatch: { concurrency: ONE, batchSizes: { ...ONE, fcm: 5 } } });
    const crowd = Array.from({ length: 60 }, (_, i) => `fan-${String(i).padStart(2, '0')}`);
    for (const uid of [...crowd, 'vip']) await ok(w.commands.enlist(ctx(uid, w.now()), ANDROID(uid)));
    // The provider holds its first call until the urgent message is in the log.
    const fcm = w.channels.fcm;
    const plain = fcm.deliver.bind(fcm);
    let release = (): void => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    fcm.deliver = async (batch) => {
      if (fcm.batches === 0) {
        const answer = plain(batch);
        await held;
        return answer;
      }
      return plain(batch);
    };
    const campaign = asMessageId(ids.messageId());
    await ok(
      w.commands.multicast(ctx('admin', w.now(), true), campaign, crowd.map(asUserId), {
        msg: 'spring sale',
        opts: { urgency: 2 },
      }),
    );
    for (let i = 0; i < 500 && fcm.batches === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fcm.batches).toBe(1); // the multicast is in progress: its first batch is at the provider
    const urgent = asMessageId(ids.messageId());
    await ok(
      w.commands.send(ctx('admin', w.now(), true), urgent, asUserId('vip'), {
        msg: 'fraud alert',
        opts: { urgency: 4 },
      }),
    );
    // Wait until the urgent unit is queued behind the held batch, then let the provider answer.
    for (let i = 0; i < 500 && w.reactors.status().find((s) => s.name === 'dispatch')?.inFlight !== 61; i++)
      await new Promise((r) => setTimeout(r, 10));
    release();
    await w.reactors.settle(20_000);

    const order = fcm.calls.map((c) => c.mids[0]);
    expect(order).toHaveLength(61);
    // The job in progress (4 batches of 5) finished first; the urgent message next, before the other 40.
    expect(order.indexOf(urgent)).toBe(20);
    const outcomes = (await w.events('DeliverySucceeded')).map((e) => ({
      position: e.position,
      mid: (e.data as { mid?: string }).mid,
    }));
    const urgentAt = outcomes.find((o) => o.mid === urgent)?.position ?? Infinity;
    const campaignDone = outcomes.filter((o) => o.mid === campaign).map((o) => o.position);
    expect(campaignDone).toHaveLength(60);
    expect(campaignDone.filter((p) => p > urgentAt)).toHaveLength(40);
  });
});
