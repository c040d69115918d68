import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedSearchIndex, openSearchDb } from '../../adapters/search/embedded.js';
import type { Followed } from '../../ports/follower.js';
import type { SearchIndex } from '../../ports/search.js';
import { searchHandler } from '../../projections/search/handler.js';
import type { DomainEvent, ReceiptStatus } from '../../schema/events.js';
import { tallies } from '../../schema/search-documents.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import { dump } from '../contract/search-scenario.js';
import { T0, iso, meta, midsFrom, streamOf, to } from '../unit/projections/fixtures.js';

// The search projection keeps what it knows of the messages it created (their A/B variants,
// that they have no live list yet) instead of reading it back from the store (issue 15). Whatever
// the batches the log comes in, and when a handler with nothing in memory replays the log over
// the documents it already holds, the store must answer the same: the same messages (counts,
// funnels, channels, texts after an erasure), deliveries, live lists and variant funnels.

const u = (s: string) => s as UserId;
const m = (s: string) => s as MessageId;
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const mids = (() => {
  const next = midsFrom(T0);
  return Array.from({ length: 4 }, () => next(1000));
})();
const at = (i: number): string => iso(T0 + 60_000 + i * 1000);
const VARIANTS = {
  variants: [
    { name: 'a', msg: 'Hello A', weight: 50 },
    { name: 'b', msg: 'Hello B', weight: 50 },
  ],
};
type Ch = 'websocket' | 'fcm' | 'email';

/** What happens to a message or a user; a message is published before the first thing that names it. */
type Act =
  | { kind: 'triage'; mid: number; live: string[]; full: [string, Ch[]][] }
  | { kind: 'ack'; mid: number; uid: string; status: ReceiptStatus; channel: Ch | 'api' }
  | { kind: 'dispatch'; mid: number; uid: string; channel: 'fcm' | 'email'; ok: boolean }
  | { kind: 'erase'; uid: string }
  | { kind: 'cancel'; mid: number };

const uid = fc.constantFrom(...USERS);
const midIx = fc.integer({ min: 0, max: mids.length - 1 });
const act: fc.Arbitrary<Act> = fc.oneof(
  fc.record({
    kind: fc.constant('triage' as const),
    mid: midIx,
    live: fc.uniqueArray(uid, { maxLength: 4 }),
    full: fc.array(fc.tuple(uid, fc.uniqueArray(fc.constantFrom<Ch>('websocket', 'fcm', 'email'), { maxLength: 2 })), {
      maxLength: 3,
    }),
  }),
  fc.record({
    kind: fc.constant('ack' as const),
    mid: midIx,
    uid,
    status: fc.constantFrom<ReceiptStatus>('delivered', 'seen', 'read', 'clicked'),
    channel: fc.constantFrom<Ch | 'api'>('websocket', 'fcm', 'email', 'api'),
  }),
  fc.record({
    kind: fc.constant('dispatch' as const),
    mid: midIx,
    uid,
    channel: fc.constantFrom<'fcm' | 'email'>('fcm', 'email'),
    ok: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('erase' as const), uid }),
  fc.record({ kind: fc.constant('cancel' as const), mid: midIx }),
);
// How each message is published: to one user (erasable text) or a thread, with or without variants.
const shape = fc.record({ direct: fc.option(uid, { nil: undefined }), variants: fc.boolean() });
type Shape = typeof shape extends fc.Arbitrary<infer T> ? T : never;

const events = (
  acts: readonly Act[],
  shapes: readonly { direct: string | undefined; variants: boolean }[],
): DomainEvent[] => {
  const out: DomainEvent[] = [];
  const published = new Set<number>();
  const batches = new Map<number, number>();
  const publish = (i: number): void => {
    if (published.has(i)) return;
    published.add(i);
    const s = shapes[i] ?? { direct: undefined, variants: false };
    out.push({
      type: 'MessagePublished',
      data: {
        mid: m(mids[i] ?? ''),
        from: u('ann'),
        audience: s.direct === undefined ? to.thread('t1') : to.user(s.direct),
        msg: `Hello number ${String(i)} for everyone`,
        opts: s.variants ? VARIANTS : {},
        urgency: 3,
        at: at(0),
      },
    });
  };
  for (const a of acts) {
    if (a.kind === 'erase') {
      out.push({ type: 'UserErased', data: { uid: u(a.uid) } });
      continue;
    }
    publish(a.mid);
    const id = m(mids[a.mid] ?? '');
    switch (a.kind) {
      case 'triage': {
        const batch = batches.get(a.mid) ?? 0;
        batches.set(a.mid, batch + 1);
        out.push({
          type: 'MessageTriaged',
          data: {
            mid: id,
            batch,
            due: at(0),
            expiresAt: at(86_400),
            urgency: 3,
            recipients: a.full.map(([r, chs]) => ({
              uid: u(r),
              online: chs.includes('websocket'),
              steps: chs.map((channel) => ({ channel, at: at(0), reason: 'offline' as const })),
            })),
            ...(a.live.length === 0 ? {} : { live: a.live.map(u), liveAt: at(0) }),
          },
        });
        break;
      }
      case 'ack':
        out.push({
          type: 'MessagesAcknowledged',
          data: { uid: u(a.uid), mids: [id], status: a.status, channel: a.channel },
        });
        break;
      case 'dispatch':
        out.push({
          type: 'DeliveryAttempted',
          data: {
            key: `${id}/${a.uid}/${a.channel}`,
            uid: u(a.uid),
            channel: a.channel,
            attempt: 1,
            mid: id,
            node: 'n1',
            run: 'r1',
            leaseUntil: at(3600),
          },
        });
        out.push(
          a.ok
            ? {
                type: 'DeliverySucceeded',
                data: { key: `${id}/${a.uid}/${a.channel}`, uid: u(a.uid), channel: a.channel, attempt: 1, mid: id },
              }
            : {
                type: 'DeliveryFailed',
                data: {
                  key: `${id}/${a.uid}/${a.channel}`,
                  uid: u(a.uid),
                  channel: a.channel,
                  attempt: 1,
                  mid: id,
                  outcome: 'retry',
                  reason: 'timeout',
                },
              },
        );
        break;
      case 'cancel':
        out.push({ type: 'MessageCancelled', data: { mid: id, by: u('admin') } });
        break;
      default:
        break;
    }
  }
  return out;
};

/**
 * The log without the receipts no triage of the log ever makes count: those of users their
 * message never addresses (any user may acknowledge any mid). A receipt before the triage that
 * addresses its user stays: it counts as if it came after.
 */
const recipientsOnly = (log: readonly Followed[]): Followed[] => {
  const addressed = new Set<string>();
  for (const { event: e } of log)
    if (e.type === 'MessageTriaged')
      for (const uid of [...e.data.recipients.map((r) => r.uid), ...(e.data.live ?? [])])
        addressed.add(`${e.data.mid} ${uid}`);
  return log.flatMap((f): Followed[] => {
    const e = f.event;
    if (e.type !== 'MessagesAcknowledged') return [f];
    const mine = e.data.mids.filter((mid) => addressed.has(`${mid} ${e.data.uid}`));
    // Each event keeps its time (a delivery's times are its receipts').
    return mine.length === 0 ? [] : [{ ...f, event: { ...e, data: { ...e.data, mids: mine } } }];
  });
};

const followed = (es: readonly DomainEvent[]): Followed[] =>
  es.map((event, i) => ({ event, position: i + 1, revision: 0, stream: streamOf(event), metadata: meta(at(i + 1)) }));

/** Hands `log` to a new handler on `index` in batches of the given sizes (the last size repeats). */
const project = async (index: SearchIndex, log: readonly Followed[], sizes: readonly number[]): Promise<void> => {
  const handler = searchHandler(index);
  let i = 0;
  let b = 0;
  while (i < log.length) {
    const n = Math.max(1, sizes[Math.min(b, sizes.length - 1)] ?? 1);
    await handler.handle(log.slice(i, i + n));
    i += n;
    b += 1;
  }
};

const answers = async (index: SearchIndex) => ({
  messages: await dump(index, 'messages'),
  deliveries: await dump(index, 'deliveries'),
  live: [...(await index.liveUids(mids))].map(([k, v]) => [k, [...v].sort()]).sort(),
  variants: await Promise.all(mids.map((id) => index.variantFunnel(id))),
  funnel: await index.funnel({}),
  text: (await index.searchMessages({ limit: 10, filter: { text: 'hello everyone' } })).hits.map((h) => h.mid),
});

/**
 * Each stored message's counts, funnel and channels as texts, and those texts made anew from the
 * sizes of its sets: the embedded writer keeps the texts it made by sizes, and a created message's
 * zeros (issue 15), which must be what tallying and JSON.stringify give, key order included.
 */
const storedAndTallied = (file: string) => {
  const db = openSearchDb(file);
  try {
    const rows = db
      .prepare<[], { mid: string; counts: string; funnel: string; channels: string }>(
        'SELECT mid, counts, funnel, channels FROM search_messages ORDER BY mid',
      )
      .all();
    const sizes = db.prepare<[string], { status: string; n: number }>(
      'SELECT status, SUM(n) AS n FROM search_receipt_sets WHERE mid = ? GROUP BY status',
    );
    return rows.map((r) => {
      const t = tallies(new Map(sizes.all(r.mid).map((x) => [x.status, x.n])));
      return {
        stored: [r.mid, r.counts, r.funnel, r.channels],
        tallied: [r.mid, JSON.stringify(t.counts), JSON.stringify(t.funnel), JSON.stringify(t.channels)],
      };
    });
  } finally {
    db.close();
  }
};

describe('search projection: batches of one, batches of many and a replay answer alike', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-search-batching-'));
  let n = 0;
  const files = new Map<SearchIndex, string>();
  const fresh = (): SearchIndex => {
    n += 1;
    const file = join(dir, `s${String(n)}.db`);
    const index = createEmbeddedSearchIndex({ file });
    files.set(index, file);
    return index;
  };
  /** The stored texts of every message written by `index`, each as its sets tally it. */
  const expectTallied = (index: SearchIndex): void => {
    const all = storedAndTallied(files.get(index) ?? '');
    expect(all.map((x) => x.stored)).toEqual(all.map((x) => x.tallied));
  };
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Projects `acts` in batches of one and of `sizes`, then replays, and checks every answer alike. */
  const check = async (acts: readonly Act[], shapes: readonly Shape[], sizes: readonly number[]): Promise<void> => {
    const log = followed(events(acts, shapes));
    const ones = fresh();
    const many = fresh();
    const honest = fresh();
    try {
      await project(ones, log, [1]);
      await project(many, log, sizes);
      const expected = await answers(ones);
      expect(await answers(many)).toEqual(expected);
      // Receipts from users their message never addresses count nowhere: the answers are those of
      // the log without them (funnels, counts, deliveries, variant funnels), in any batches.
      await project(honest, recipientsOnly(log), sizes);
      expect(await answers(honest)).toEqual(expected);
      expectTallied(ones);
      expectTallied(many);
      // A handler with nothing in memory replays the whole log over what it wrote (a checkpoint
      // moved back): nothing changes, nothing counts twice. Not with an erasure: replayed over
      // the documents, it blanks a direct message published after it too (as it did before).
      if (acts.some((a) => a.kind === 'erase')) return;
      await project(many, log, [...sizes].reverse());
      expect(await answers(many)).toEqual(expected);
      expectTallied(many);
    } finally {
      await ones.close();
      await many.close();
      await honest.close();
    }
  };

  it('on random logs of publications, triage (live lists and full plans), receipts, dispatch, erasures and cancels', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(act, { minLength: 1, maxLength: 30 }),
        fc.array(shape, { minLength: mids.length, maxLength: mids.length }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
        check,
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  // User u4 acknowledges u1's direct message (never addressed to u4), before and after its
  // triage, over the websocket and the API; u1's own receipt before the triage counts.
  it("a non-recipient's receipts count nowhere, in batches of one and of many", async () => {
    await check(
      [
        { kind: 'ack', mid: 0, uid: 'u4', status: 'clicked', channel: 'websocket' },
        { kind: 'ack', mid: 0, uid: 'u1', status: 'read', channel: 'websocket' },
        { kind: 'triage', mid: 0, live: ['u1'], full: [['u2', ['fcm']]] },
        { kind: 'ack', mid: 0, uid: 'u4', status: 'read', channel: 'api' },
        { kind: 'ack', mid: 0, uid: 'u3', status: 'seen', channel: 'fcm' },
        { kind: 'ack', mid: 0, uid: 'u2', status: 'delivered', channel: 'fcm' },
      ],
      [
        { direct: 'u1', variants: true },
        { direct: undefined, variants: false },
        { direct: undefined, variants: false },
        { direct: undefined, variants: false },
      ],
      [3],
    );
  });

  // Found by the property above (one log in about 150; a CI rehearsal failed on it): a message
  // with A/B variants, a websocket receipt from a user before the triage that lists them live, in
  // batches of one. The receipt's batch had no list for the message, so the members the handler
  // keeps for it learnt the receipt without its variant set, and the later list counted the user
  // in that set a second time (sent 3 of 2 recipients). Now those members are read again.
  it("a variant's sent count does not depend on batching when a live receipt precedes its triage", async () => {
    await check(
      [
        { kind: 'triage', mid: 3, live: ['u0'], full: [] },
        { kind: 'ack', mid: 3, uid: 'u3', status: 'delivered', channel: 'websocket' },
        { kind: 'triage', mid: 3, live: ['u3'], full: [] },
        { kind: 'dispatch', mid: 0, uid: 'u0', channel: 'fcm', ok: false },
      ],
      [
        { direct: undefined, variants: false },
        { direct: undefined, variants: false },
        { direct: undefined, variants: false },
        { direct: undefined, variants: true },
      ],
      [2],
    );
  });
});
