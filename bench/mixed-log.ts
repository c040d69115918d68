// A deterministic mixed log for projection benchmarks, in the same proportions as
// bench/projection-catchup.ts: users with devices, threads with 5 subscriptions per user, then
// live traffic (70% thread messages, direct sends, multicasts, broadcasts, 3% scheduled) with
// the receipts, markers, deletions and withdrawals that follow.
import type { EventStore } from '../ports/eventstore.js';
import { createIdGenerator } from '../adapters/ids/ids.js';
import { streams } from '../schema/events.js';
import { asThreadId, asUserId } from '../schema/ids.js';
import type { Audience } from '../schema/message.js';

export const T0 = Date.parse('2025-01-01T00:00:00.000Z');

export interface MixedLog {
  /** Appends the users, devices, threads and subscriptions. */
  setup(): Promise<void>;
  /** Appends one step of live traffic. */
  step(): Promise<void>;
  readonly published: readonly string[];
  /** Time of the newest message (the bench's "now"). */
  now(): Date;
}

export const mixedLog = (store: EventStore, users: number, threads: number): MixedLog => {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = (n: number): number => Math.floor(rand() * n);
  let clock = T0;
  const ids = createIdGenerator(() => clock);
  const meta = {
    eventId: 'e',
    occurredAt: new Date(T0).toISOString(),
    actor: { uid: 'bench', roles: [] },
    correlationId: 'c',
    causationId: 'c',
  };
  const append = async (stream: string, type: string, data: unknown): Promise<void> => {
    await store.append(stream, [{ type, data, metadata: meta }], 'any');
  };
  const published: string[] = [];
  const publish = async (audience: Audience): Promise<void> => {
    clock += 1_000;
    const mid = ids.messageId();
    const scheduled = rand() < 0.03 ? { scheduled: new Date(clock + 3_600_000).toISOString() } : {};
    await append(streams.message(mid), 'MessagePublished', {
      mid,
      from: 'u0',
      audience,
      msg: `message ${published.length}`,
      opts: {},
      urgency: 3,
      at: new Date(clock).toISOString(),
      ...scheduled,
    });
    published.push(mid);
  };

  const setup = async (): Promise<void> => {
    for (let u = 0; u < users; u += 1)
      await append(streams.user(`u${u}`), 'UserRecognized', { uid: `u${u}`, via: 'token' });
    for (let u = 0; u < users; u += 2) {
      await append(streams.user(`u${u}`), 'DeviceEnlisted', {
        uid: `u${u}`,
        deviceId: `d${u}`,
        device: { os: 'ios', token: `t${u}` },
      });
    }
    for (let t = 0; t < threads; t += 1)
      await append(streams.thread(`t${t}`), 'ThreadCreated', { tid: `t${t}`, owner: 'u0', opens: true, openp: true });
    for (let u = 0; u < users; u += 1) {
      for (let k = 0; k < 5; k += 1) {
        const tid = `t${(u + k * 7) % threads}`;
        await append(streams.thread(tid), 'ThreadMemberAdded', { tid, uid: `u${u}`, role: 'subscriber' });
      }
    }
  };

  const step = async (): Promise<void> => {
    const r = rand();
    const uid = asUserId(`u${pick(users)}`);
    const recent = published[published.length - 1 - pick(Math.min(50, published.length))];
    if (r < 0.7 || recent === undefined) return publish({ kind: 'thread', tid: asThreadId(`t${pick(threads)}`) });
    if (r < 0.8) return publish({ kind: 'user', uid });
    if (r < 0.84)
      return publish({ kind: 'users', uids: [uid, `u${pick(users)}`, `u${pick(users)}`, 'u1'].map(asUserId) });
    if (r < 0.86) return publish({ kind: 'everyone' });
    if (r < 0.95)
      return append(streams.inbox(uid), 'MessagesAcknowledged', {
        uid,
        mids: [recent],
        status: rand() < 0.5 ? 'seen' : 'read',
      });
    if (r < 0.97) return append(streams.inbox(uid), 'LastReadMarked', { uid, mid: recent });
    if (r < 0.99) return append(streams.inbox(uid), 'MessageDeletedFromInbox', { uid, mids: [recent] });
    return append(streams.message(recent), rand() < 0.5 ? 'MessageCancelled' : 'MessageRetracted', {
      mid: recent,
      by: 'u0',
    });
  };

  return { setup, step, published, now: () => new Date(clock) };
};
