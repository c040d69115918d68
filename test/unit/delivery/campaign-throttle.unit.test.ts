import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CAMPAIGN_IDLE_MS, createGate } from '../../../delivery/gate.js';
import type { Share } from '../../../delivery/limits.js';
import { throttleChannels } from '../../../delivery/throttle.js';
import type { Channel, Delivery, Outcome } from '../../../ports/channel.js';
import { busiestSecond } from '../../windows.js';

// Throttling per campaign at the channel call (delivery/throttle.ts, docs/campaigns.md): a
// message's `opts.throttle` limit and the channel's own (MSGXC_THROTTLE_<CHANNEL>) both hold, a
// send takes a token of each at the same instant, a slow campaign never holds back the
// channel's other sends, and a campaign's bucket is dropped once idle. On vitest's fake clock.

const email = (mid: string, i: number, throttle?: Record<string, number>, urgency: 1 | 3 | 4 = 3): Delivery => ({
  id: `${mid}/${String(i)}`,
  attempt: 0,
  to: { channel: 'email', uid: `u${String(i)}`, address: `u${String(i)}@example.com` },
  content: {
    kind: 'message',
    message: {
      mid,
      from: 'ann',
      msg: 'x',
      opts: throttle === undefined ? {} : { throttle },
      urgency,
      at: '2030-01-01T00:00:00.000Z',
    },
  },
});
const many = (mid: string, n: number, throttle?: Record<string, number>): Delivery[] =>
  Array.from({ length: n }, (_, i) => email(mid, i, throttle));

const recording = () => {
  const sent: { at: number; mid: string; id: string }[] = [];
  const calls: number[] = [];
  const channel: Channel = {
    kind: 'email',
    provider: 'test',
    deliver: (batch) => {
      calls.push(batch.length);
      for (const d of batch)
        sent.push({ at: Date.now(), mid: d.content.kind === 'message' ? d.content.message.mid : '', id: d.id });
      return Promise.resolve(batch.map((): Outcome => ({ kind: 'delivered' })));
    },
    close: () => Promise.resolve(),
  };
  return { channel, sent, calls };
};

/** Runs the clock until every promise settled (at most `ms`), returning when each did. */
const drive = async <T>(work: Promise<T>[], ms = 60_000): Promise<{ values: T[]; doneAt: number[] }> => {
  const doneAt: number[] = work.map(() => Number.NaN);
  const values: T[] = [];
  const all = Promise.all(
    work.map((w, i) =>
      w.then((v) => {
        doneAt[i] = Date.now();
        values[i] = v;
        return v;
      }),
    ),
  );
  for (let t = 0; t < ms && doneAt.some((x) => Number.isNaN(x)); t += 10) await vi.advanceTimersByTimeAsync(10);
  await all;
  return { values, doneAt };
};

describe('campaign throttle at the channel call (delivery/throttle.ts)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds a campaign to its own rate and the channel to its limit; the channel's other sends are not held behind the campaign", async () => {
    const { channel, sent } = recording();
    const out = throttleChannels({ email: channel as never }, { email: { perSecond: 10 } }, {})
      .email as unknown as Channel;
    const start = Date.now();
    const campaign = out.deliver(many('camp', 12, { email: 3 }));
    const plain = out.deliver(many('plain', 10));
    const { values, doneAt } = await drive([campaign, plain]);
    expect(values.map((v) => v.length)).toEqual([12, 10]);
    const times = (mid: string) => sent.filter((s) => s.mid === mid).map((s) => s.at);
    expect(times('camp')).toHaveLength(12);
    expect(busiestSecond(times('camp'))).toBeLessThanOrEqual(3);
    expect(busiestSecond(sent.map((s) => s.at))).toBeLessThanOrEqual(10);
    // Paced: twelve at three a second take more than three seconds ...
    expect((doneAt[0] ?? 0) - start).toBeGreaterThanOrEqual(3000);
    // ... while the plain call, asked after it, went within the channel's limit meanwhile.
    expect((doneAt[1] ?? 0) - start).toBeLessThan(1500);
  });

  it('without a channel limit a plain call goes straight through, whole, and only the campaign is paced', async () => {
    const { channel, sent, calls } = recording();
    const out = throttleChannels({ email: channel as never }, {}, {}).email as unknown as Channel;
    const campaign = out.deliver(many('camp', 5, { email: 2, sms: 100 }));
    await vi.advanceTimersByTimeAsync(0);
    const plain = out.deliver(many('plain', 40));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toContain(40);
    await drive([campaign, plain]);
    expect(busiestSecond(sent.filter((s) => s.mid === 'camp').map((s) => s.at))).toBeLessThanOrEqual(2);
    expect(sent.filter((s) => s.mid === 'camp')).toHaveLength(5);
  });

  it('answers a call mixing campaigns one outcome per delivery, in order', async () => {
    const { channel, sent } = recording();
    const out = throttleChannels({ email: channel as never }, {}, {}).email as unknown as Channel;
    const batch = [
      email('a', 0, { email: 1 }),
      email('a', 1, { email: 1 }),
      email('p', 2),
      email('b', 3, { email: 2 }),
    ];
    const { values } = await drive([out.deliver(batch)]);
    expect(values[0]).toHaveLength(4);
    expect(sent.map((s) => s.id).sort()).toEqual(batch.map((d) => d.id).sort());
    // Campaign a at 1/s: its two sends are a second apart.
    const a = sent.filter((s) => s.mid === 'a').map((s) => s.at);
    expect((a[1] ?? 0) - (a[0] ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('keeps a campaign bucket only while it is in use: memory stays bounded however many campaigns pass', async () => {
    const gate = createGate(undefined);
    const sends: Promise<number>[] = [];
    for (let c = 0; c < 200; c += 1) sends.push(gate.acquire(3, 1, { key: `m${String(c)}`, limit: { perSecond: 1 } }));
    await vi.advanceTimersByTimeAsync(0);
    expect(await Promise.all(sends)).toEqual(sends.map(() => 1)); // a fresh bucket's one token each
    expect(gate.campaigns()).toBe(200);
    await vi.advanceTimersByTimeAsync(CAMPAIGN_IDLE_MS);
    expect(gate.campaigns()).toBe(0);
    // And a campaign started again after it was dropped still keeps its rate (a new window).
    const { channel, sent } = recording();
    const out = throttleChannels({ email: channel as never }, {}, {}).email as unknown as Channel;
    await drive([out.deliver(many('again', 3, { email: 1 }))]);
    await vi.advanceTimersByTimeAsync(CAMPAIGN_IDLE_MS);
    await drive([out.deliver(many('again', 3, { email: 1 }))]);
    expect(busiestSecond(sent.map((s) => s.at))).toBeLessThanOrEqual(1);
  });

  it("sends at this process's share of a campaign's rate, and nothing while the share is unknown", async () => {
    let part: number | undefined = undefined;
    let known: () => void = () => undefined;
    const share: Share = {
      part: (perSecond) => (part === undefined ? undefined : Math.floor(perSecond / part)),
      known: () => new Promise<void>((r) => (known = r)),
    };
    const { channel, sent } = recording();
    const out = throttleChannels({ email: channel as never }, {}, { share }).email as unknown as Channel;
    const work = out.deliver(many('camp', 6, { email: 4 }));
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toHaveLength(0);
    part = 2; // two processes: 2 a second here
    known();
    await drive([work]);
    expect(sent).toHaveLength(6);
    expect(busiestSecond(sent.map((s) => s.at))).toBeLessThanOrEqual(2);
  });
});
