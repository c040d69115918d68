import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import type { EventStore } from '../../../ports/eventstore.js';
import { fixedClock } from '../../../adapters/clock/clock.js';
import { createIdGenerator } from '../../../adapters/ids/ids.js';
import { openEmbeddedReadStore } from '../../../app/read-stores.js';
import type { Projection } from '../../../follower/projection.js';
import type { ReadModels } from '../../../ports/read-models.js';
import { streams } from '../../../schema/events.js';
import type { DomainEvent, ReceiptStatus, ThreadRole } from '../../../schema/events.js';
import type { DeviceId, MessageId, ThreadId, UserId } from '../../../schema/ids.js';
import type { Audience } from '../../../schema/message.js';
import type { EventMetadata } from '../../../schema/metadata.js';

// Small builders for real domain events; metadata is synthetic (the read models only use occurredAt).
export const T0 = Date.parse('2025-01-01T00:00:00.000Z');
export const iso = (ms: number): string => new Date(ms).toISOString();

const u = (s: string) => s as UserId;
const th = (s: string) => s as ThreadId;

export const ev = {
  recognized: (uid: string): DomainEvent => ({ type: 'UserRecognized', data: { uid: u(uid), via: 'token' } }),
  enlisted: (uid: string, deviceId: string, token = `tok-${deviceId}`): DomainEvent => ({
    type: 'DeviceEnlisted',
    data: { uid: u(uid), deviceId: deviceId as DeviceId, device: { os: 'android', token } },
  }),
  revoked: (uid: string, deviceId: string): DomainEvent => ({
    type: 'DeviceRevoked',
    data: { uid: u(uid), deviceId: deviceId as DeviceId, reason: 'gone' },
  }),
  thread: (tid: string, owner: string, extra: { name?: string } = {}): DomainEvent => ({
    type: 'ThreadCreated',
    data: { tid: th(tid), owner: u(owner), opens: true, openp: false, channels: ['webpush'], ...extra },
  }),
  joined: (tid: string, uid: string, role: ThreadRole = 'subscriber'): DomainEvent => ({
    type: 'ThreadMemberAdded',
    data: { tid: th(tid), uid: u(uid), role },
  }),
  left: (tid: string, uid: string, role: ThreadRole = 'subscriber'): DomainEvent => ({
    type: 'ThreadMemberRemoved',
    data: { tid: th(tid), uid: u(uid), role },
  }),
  published: (
    mid: string,
    audience: Audience,
    opts: { at?: number; scheduled?: number; from?: string; msg?: string } = {},
  ): DomainEvent => ({
    type: 'MessagePublished',
    data: {
      mid: mid as MessageId,
      from: u(opts.from ?? 'sender'),
      audience,
      msg: opts.msg ?? `hello ${mid}`,
      opts: {},
      urgency: 3,
      at: iso(opts.at ?? T0),
      ...(opts.scheduled === undefined ? {} : { scheduled: iso(opts.scheduled) }),
    },
  }),
  /** A part of a chunked audience (its uids in uid order). */
  chunk: (mid: string, part: number, ...uids: string[]): DomainEvent => ({
    type: 'AudienceChunk',
    data: { mid: mid as MessageId, part, uids: uids.map(u) },
  }),
  erased: (uid: string): DomainEvent => ({ type: 'UserErased', data: { uid: u(uid) } }),
  cancelled: (mid: string): DomainEvent => ({
    type: 'MessageCancelled',
    data: { mid: mid as MessageId, by: u('admin') },
  }),
  retracted: (mid: string): DomainEvent => ({
    type: 'MessageRetracted',
    data: { mid: mid as MessageId, by: u('admin') },
  }),
  acked: (uid: string, mids: readonly string[], status: ReceiptStatus): DomainEvent => ({
    type: 'MessagesAcknowledged',
    data: { uid: u(uid), mids: mids as MessageId[], status },
  }),
  marked: (uid: string, mid: string, tid?: string): DomainEvent => ({
    type: 'LastReadMarked',
    data: { uid: u(uid), mid: mid as MessageId, ...(tid === undefined ? {} : { tid: th(tid) }) },
  }),
  deleted: (uid: string, mids: readonly string[]): DomainEvent => ({
    type: 'MessageDeletedFromInbox',
    data: { uid: u(uid), mids: mids as MessageId[] },
  }),
};

export const to = {
  user: (uid: string): Audience => ({ kind: 'user', uid: u(uid) }),
  users: (...uids: string[]): Audience => ({ kind: 'users', uids: uids.map(u) }),
  thread: (tid: string): Audience => ({ kind: 'thread', tid: th(tid) }),
  everyone: (): Audience => ({ kind: 'everyone' }),
  chunked: (count: number, chunks: number): Audience => ({ kind: 'chunked', count, chunks }),
};

export const streamOf = (e: DomainEvent): string => {
  switch (e.type) {
    case 'ThreadCreated':
    case 'ThreadMemberAdded':
    case 'ThreadMemberRemoved':
    case 'ThreadSettingsChanged':
      return streams.thread(e.data.tid);
    case 'AudienceResolved':
    case 'MessagePublished':
    case 'MessageCancelled':
    case 'MessageRetracted':
      return streams.message(e.data.mid);
    case 'MessagesAcknowledged':
    case 'LastReadMarked':
    case 'MessageDeletedFromInbox':
      return streams.inbox(e.data.uid);
    case 'MessageDue':
    case 'MessageTriaged':
      return `triage-${e.data.mid}`;
    case 'SegmentDefined':
      return streams.segment(e.data.id);
    case 'UsersImported':
      return streams.userImport(e.data.id);
    case 'AudienceChunk':
      return streams.audience(e.data.mid);
    case 'DeliveriesClaimed':
    case 'DeliveriesSent':
    case 'DeliveriesSkipped':
      return `deliveries-${e.data.mid}/${e.data.channel}/0`;
    default:
      return streams.user(e.data.uid);
  }
};

let seq = 0;
export const meta = (occurredAt = iso(T0)): EventMetadata => ({
  eventId: `ev-${++seq}`,
  occurredAt,
  actor: { uid: 'tester', roles: [] },
  correlationId: 'corr',
  causationId: 'cause',
});

/** Appends each event to its natural stream; returns the position of the last one. */
export const put = async (store: EventStore, ...events: readonly DomainEvent[]): Promise<number> => {
  let position = 0;
  for (const e of events) {
    const r = await store.append(streamOf(e), [{ ...e, metadata: meta() }], 'any');
    if (r.kind !== 'appended') throw new Error(`append refused: ${JSON.stringify(r)}`);
    position = r.position;
  }
  return position;
};

/** UUIDv7 message ids from a controlled clock: ids made later sort later. */
export const midsFrom = (startMs = T0) => {
  let t = startMs;
  const gen = createIdGenerator(() => t);
  return (advanceMs = 1): string => {
    t += advanceMs;
    return gen.messageId();
  };
};

export interface Harness {
  readonly dir: string;
  readonly db: Database;
  readonly store: EventStore;
  readonly runner: Projection<Database>;
  readonly models: ReadModels;
  readonly clock: ReturnType<typeof fixedClock>;
  /** Appends and waits until the read models have applied them. */
  put(...events: readonly DomainEvent[]): Promise<number>;
  close(): Promise<void>;
}

/** A temp read.db fed by a memory store through a started runner. */
export const harness = (store: EventStore = createMemoryEventStore()): Harness => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-proj-'));
  const clock = fixedClock(new Date(T0 + 3_600_000));
  const read = openEmbeddedReadStore({ file: join(dir, 'read.db'), store, clock });
  const runner = read.runner;
  runner.start();
  return {
    dir,
    get db() {
      return read.db;
    },
    store,
    runner,
    clock,
    models: read.models,
    put: async (...events) => {
      const p = await put(store, ...events);
      await runner.waitFor(p, 5_000);
      return p;
    },
    close: async () => {
      await read.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
