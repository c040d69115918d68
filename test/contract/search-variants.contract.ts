import { expect, it } from 'vitest';
import { variantName } from '../../domain/variants.js';
import type { DomainEvent, ReceiptStatus } from '../../schema/events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import { VARIANT_STAGES } from '../../schema/variant-funnel.js';
import type { VariantFunnel, VariantStage } from '../../schema/variant-funnel.js';
import { T0, iso, meta, midsFrom, streamOf, to } from '../unit/projections/fixtures.js';
import type { FunnelSubject } from './search-funnel.contract.js';

// A/B variants in the search contract: a message with two variants to eight users, triaged
// (websocket for the online ones, email for the others), sent, and read by some; every engine
// must answer the same funnel per variant, with receipts (which name no variant) counted in
// the variant each recipient was assigned.

const H = 3_600_000;
const at = (ms: number): string => iso(T0 + 9 * 24 * H + ms);
const mid = midsFrom(T0 + 9 * 24 * H);
const u = (s: string) => s as UserId;
const m = (s: string) => s as MessageId;
const USERS = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'];
const ONLINE = new Set(['v1', 'v2', 'v3', 'v4']);
const opts = {
  variants: [
    { name: 'a', msg: 'Hello A', weight: 50 },
    { name: 'b', msg: 'Hello B', weight: 50 },
  ],
};
// A message id's random bits decide the assignment: about one id in 128 puts all eight users in
// one variant (a rehearsal failed on one), so the case takes the first id that uses both.
const splitting = (): string => {
  for (;;) {
    const id = mid(1_000);
    if (new Set(USERS.map((uid) => variantName(opts, id, uid))).size === 2) return id;
  }
};
const [mV, mPlain] = [splitting(), mid(1_000)] as [string, string];

const ack = (uid: string, status: ReceiptStatus): DomainEvent => ({
  type: 'MessagesAcknowledged',
  data: { uid: u(uid), mids: [m(mV)], status, channel: 'websocket' },
});
const events: readonly DomainEvent[] = [
  {
    type: 'MessagePublished',
    data: { mid: m(mV), from: u('ann'), audience: to.users(...USERS), msg: 'Hello', opts, urgency: 3, at: at(0) },
  },
  {
    type: 'MessagePublished',
    data: { mid: m(mPlain), from: u('ann'), audience: to.users('v1'), msg: 'plain', opts: {}, urgency: 3, at: at(0) },
  },
  {
    type: 'MessageTriaged',
    data: {
      mid: m(mV),
      batch: 0,
      due: at(0),
      expiresAt: at(24 * H),
      urgency: 3,
      recipients: USERS.map((uid) => ({
        uid: u(uid),
        online: ONLINE.has(uid),
        steps: [
          {
            channel: ONLINE.has(uid) ? 'websocket' : 'email',
            at: at(0),
            reason: ONLINE.has(uid) ? 'live-session' : 'offline',
          },
        ],
      })),
    },
  },
  {
    type: 'DeliveryAttempted',
    data: {
      key: `${mV}/v5/email`,
      uid: u('v5'),
      channel: 'email',
      attempt: 1,
      node: 'n',
      run: 'r',
      leaseUntil: at(H),
      mid: m(mV),
    },
  },
  {
    type: 'DeliverySucceeded',
    data: { key: `${mV}/v5/email`, uid: u('v5'), channel: 'email', attempt: 1, mid: m(mV) },
  },
  ack('v1', 'delivered'),
  ack('v2', 'read'),
  ack('v3', 'clicked'),
  ack('v5', 'seen'),
] as DomainEvent[];

/** The answer, from the events above and the assignment alone (an independent tally). */
const expected = (): VariantFunnel[] => {
  const reached: Record<string, VariantStage[]> = {
    v1: ['delivered'],
    v2: ['delivered', 'seen', 'read'],
    v3: ['delivered', 'seen', 'read', 'clicked'],
    v5: ['delivered', 'seen'],
  };
  const sent = new Set(['v1', 'v2', 'v3', 'v4', 'v5']);
  const by = new Map<string, Record<VariantStage, number>>();
  for (const uid of USERS) {
    const name = variantName(opts, mV, uid) ?? '';
    const f = by.get(name) ?? (Object.fromEntries(VARIANT_STAGES.map((s) => [s, 0])) as Record<VariantStage, number>);
    f.addressed += 1;
    if (sent.has(uid)) f.sent += 1;
    for (const s of reached[uid] ?? []) f[s] += 1;
    by.set(name, f);
  }
  return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([variant, f]) => ({ variant, ...f }));
};

export const searchVariantCases = (subject: () => FunnelSubject): void => {
  it('answers the funnel per A/B variant, receipts counted in the variant each recipient was assigned', async () => {
    const { store, index, runner } = subject();
    let position = 0;
    for (const e of events) {
      const r = await store.append(streamOf(e), [{ ...e, metadata: meta(at(0)) }], 'any');
      if (r.kind !== 'appended') throw new Error('append refused');
      position = r.position;
    }
    await runner.waitFor(position, 20_000);
    await index.refresh();
    const funnel = await index.variantFunnel(mV);
    expect(funnel).toEqual(expected());
    // Both variants are used by these eight users (the id was chosen so), and every one is counted once.
    expect(funnel.map((f) => f.variant)).toEqual(['a', 'b']);
    expect(funnel.reduce((n, f) => n + f.addressed, 0)).toBe(8);
    expect((await index.messages([mV])).get(mV)?.variants).toEqual([
      { name: 'a', weight: 50 },
      { name: 'b', weight: 50 },
    ]);
    // The message funnel itself is unchanged by the variant sets.
    expect((await index.messages([mV])).get(mV)?.funnel.addressed).toBe(8);
    expect(await index.variantFunnel(mPlain)).toEqual([]);
    expect((await index.messages([mPlain])).get(mPlain)?.variants).toBeUndefined();
  });
};
