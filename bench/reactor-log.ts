// A deterministic log for the reactor cold-start benchmark (bench/reactor-cold-start.ts): users
// recognized, most with a phone enlisted and half with an email address, each a subscriber of a
// few threads; then live traffic (thread messages, direct sends, small multicasts, a rare
// broadcast) with the receipts, read markers, new devices, new subscriptions and changed
// addresses that follow. Appended straight to the store, many appends in flight (the embedded
// store commits them in groups), while the reactors of an "old node" run beside it and write
// their own triage and dispatch events into the same log, as a deployment's log holds them.
import { createIdGenerator } from '../adapters/ids/ids.js';
import type { EventStore } from '../ports/eventstore.js';
import { streams } from '../schema/events.js';

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A clock the generator moves forward: one second per message. */
export interface BenchClock {
  now(): Date;
  readonly ms: () => number;
  set(ms: number): void;
}

export const benchClock = (start: number): BenchClock => {
  let t = start;
  return { now: () => new Date(t), ms: () => t, set: (ms) => (t = ms) };
};

interface Append {
  readonly stream: string;
  readonly type: string;
  readonly data: unknown;
}

export interface ReactorLogOptions {
  readonly users: number;
  readonly threads: number;
  /** Threads each user subscribes to at first. */
  readonly perUser: number;
}

export const uidOf = (u: number): string => `u${u}`;
/** Whether user `u` has a phone (60 %) and an email address (50 %). */
export const hasPhone = (u: number): boolean => u % 5 < 3;
export const hasEmail = (u: number): boolean => u % 2 === 0;

const meta = {
  eventId: 'bench',
  occurredAt: new Date(T0).toISOString(),
  actor: { uid: 'bench', roles: [] },
  correlationId: 'bench',
  causationId: 'bench',
};

export const appendOne = async (store: EventStore, a: Append): Promise<void> => {
  await store.append(a.stream, [{ type: a.type, data: a.data, metadata: meta }], 'any');
};

// Appends in waves of `inFlight` concurrent appends (the writer commits each wave in a few groups).
const appendAll = async (store: EventStore, all: readonly Append[], inFlight = 256): Promise<void> => {
  for (let i = 0; i < all.length; i += inFlight)
    await Promise.all(all.slice(i, i + inFlight).map((a) => appendOne(store, a)));
};

export const reactorLog = (store: EventStore, clock: BenchClock, o: ReactorLogOptions) => {
  let seed = 7;
  const rand = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = (n: number): number => Math.floor(rand() * n);
  const ids = createIdGenerator(() => clock.ms());
  const published: string[] = [];
  let devices = 0;

  const message = (audience: unknown, urgency: number): Append => {
    clock.set(clock.ms() + 1_000);
    const mid = ids.messageId();
    published.push(mid);
    return {
      stream: streams.message(mid),
      type: 'MessagePublished',
      data: {
        mid,
        from: 'u0',
        audience,
        msg: `message ${published.length}`,
        opts: {},
        urgency,
        at: clock.now().toISOString(),
      },
    };
  };
  const device = (uid: string): Append => {
    devices += 1;
    const os = devices % 2 === 0 ? 'ios' : 'android';
    return {
      stream: streams.user(uid),
      type: 'DeviceEnlisted',
      data: { uid, deviceId: `d${devices}`, device: { os, token: `tok-${devices}` } },
    };
  };
  const member = (tid: string, uid: string): Append => ({
    stream: streams.thread(tid),
    type: 'ThreadMemberAdded',
    data: { tid, uid, role: 'subscriber' },
  });

  const setup = async (): Promise<void> => {
    const all: Append[] = [];
    for (let u = 0; u < o.users; u += 1) {
      const uid = uidOf(u);
      all.push({ stream: streams.user(uid), type: 'UserRecognized', data: { uid, via: 'token' } });
      if (hasPhone(u)) all.push(device(uid));
      if (hasEmail(u))
        all.push({
          stream: streams.user(uid),
          type: 'ContactPointsChanged',
          data: { uid, email: `${uid}@example.org` },
        });
    }
    await appendAll(store, all);
    const threads: Append[] = [];
    for (let t = 0; t < o.threads; t += 1)
      threads.push({
        stream: streams.thread(`t${t}`),
        type: 'ThreadCreated',
        data: { tid: `t${t}`, owner: 'u0', opens: true, openp: true },
      });
    await appendAll(store, threads);
    const members: Append[] = [];
    for (let u = 0; u < o.users; u += 1)
      for (let k = 0; k < o.perUser; k += 1) members.push(member(`t${(u * 7 + k * 13) % o.threads}`, uidOf(u)));
    await appendAll(store, members);
  };

  // One step of live traffic.
  const step = (): Append => {
    const r = rand();
    const uid = uidOf(pick(o.users));
    const recent = published[published.length - 1 - pick(Math.min(50, published.length))];
    if (r < 0.72 || recent === undefined) return message({ kind: 'thread', tid: `t${pick(o.threads)}` }, 3);
    if (r < 0.8) return message({ kind: 'user', uid }, rand() < 0.5 ? 3 : 4);
    if (r < 0.83) return message({ kind: 'users', uids: [uid, uidOf(pick(o.users)), uidOf(pick(o.users))] }, 3);
    if (r < 0.8302) return message({ kind: 'everyone' }, 2);
    if (r < 0.92)
      return {
        stream: streams.inbox(uid),
        type: 'MessagesAcknowledged',
        data: { uid, mids: [recent], status: rand() < 0.5 ? 'seen' : 'read' },
      };
    if (r < 0.95) return { stream: streams.inbox(uid), type: 'LastReadMarked', data: { uid, mid: recent } };
    if (r < 0.97) return device(uid);
    if (r < 0.99) return member(`t${pick(o.threads)}`, uid);
    if (r < 0.995)
      return {
        stream: streams.user(uid),
        type: 'ContactPointsChanged',
        data: { uid, email: `${uid}.${published.length}@example.org` },
      };
    return { stream: streams.message(recent), type: 'MessageCancelled', data: { mid: recent, by: 'u0' } };
  };

  /** Appends `n` steps of traffic, `inFlight` appends at a time. */
  const traffic = async (n: number, inFlight = 256): Promise<void> => {
    await appendAll(store, Array.from({ length: n }, step), inFlight);
  };

  return { setup, traffic, published, message };
};
