import type { Database } from 'better-sqlite3';
import type { Clock } from '../ports/clock.js';
import { Unhandleable } from '../follower/unhandleable.js';
import type { FollowerHandler } from '../ports/follower.js';
import type { ReadModels } from '../ports/read-models.js';
import { deviceQueries } from './devices/queries.js';
import { inboxQueries } from './inbox/queries.js';
import { targetQueries } from './inbox/targets.js';
import { messageQueries } from './messages/queries.js';
import { applyWith, dispatchTable } from './projection.js';
import { embeddedProjections, ensureReadModels } from './tables.js';
import { threadQueries } from './threads/queries.js';
import { userQueries } from './users/queries.js';
import { userImportQueries } from './user-imports/queries.js';
import { segmentQueries } from './segments/queries.js';

// The read models on SQLite: the handler the log follower feeds (follower/), and the queries.
// The file, its generations and checkpoint are composed in app/read-stores.ts.

// Only `message()` asks it (is the message still `scheduled`?); app/ passes the node's clock.
const wallClock: Clock = { now: () => new Date() };

export { checksum } from './checksum.js';

/** The follower's name for the SQLite read models (their checkpoint row). */
export const EMBEDDED_READ_MODELS = 'embedded-read-models';

// Failures that applying the same event again can only repeat: the projection's own code
// tripping over the event's data, or SQLite refusing the values it was given. A busy or full
// disk, an I/O error, a closed file are the engine's, and retried.
const REFUSED_FOR_GOOD = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;
const codeOf = (e: Error): string => {
  const code = (e as { readonly code?: unknown }).code;
  return typeof code === 'string' ? code : '';
};
const forGood = (e: unknown): e is Error =>
  e instanceof TypeError || e instanceof RangeError || (e instanceof Error && REFUSED_FOR_GOOD.test(codeOf(e)));

/**
 * Applies a batch synchronously, so the checkpoint store commits it and the checkpoint in one
 * transaction: for SQLite each event applies exactly once (every evolve is idempotent anyway).
 */
export const embeddedReadModelsHandler = (db: Database): FollowerHandler => {
  const table = dispatchTable(db, embeddedProjections);
  const apply = applyWith(table);
  return {
    // Only the types some read model handles are decoded; the rest only move the checkpoint.
    types: new Set(table.keys()),
    handle: (events) => {
      for (const e of events)
        try {
          apply(e.event, { position: e.position, occurredAt: e.metadata.occurredAt });
        } catch (err) {
          throw forGood(err) ? new Unhandleable(err.message, { cause: err }) : err;
        }
      return undefined;
    },
  };
};

/** A read-model file opened by adapters/read-store/sqlite.ts, with its tables made (or checked). */
export const readModelsIn = (db: Database): Database => {
  ensureReadModels(db);
  return db;
};

/** The read side over one SQLite connection. `clock` only decides whether a message is still `scheduled`. */
export const createEmbeddedReadModels = (db: Database, clock: Clock = wallClock): ReadModels => {
  ensureReadModels(db);
  const users = userQueries(db);
  const devices = deviceQueries(db);
  const threads = threadQueries(db);
  const messages = messageQueries(db);
  const inbox = inboxQueries(db);
  const targets = targetQueries(db);
  const imports = userImportQueries(db);
  const segments = segmentQueries(db);
  // better-sqlite3 is synchronous; the contract is async for the networked stores.
  const later = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return {
    devicesByUser: (uid) => later(() => devices.devicesByUser(uid)),
    thread: (tid) => later(() => threads.thread(tid)),
    threadMembers: (tid, page) => later(() => threads.threadMembers(tid, page)),
    memberRoles: (tid, uid) => later(() => threads.memberRoles(tid, uid)),
    threadMessages: (tid, page, now) => later(() => messages.threadMessages(tid, page, now)),
    inbox: (uid, page, now) => later(() => inbox.inbox(uid, page, now)),
    message: (mid) => later(() => messages.message(mid, clock.now())),
    isRecipient: (mid, uid) => later(() => inbox.isRecipient(mid, uid)),
    subscribedThreads: (uid) => later(() => inbox.subscribedThreads(uid)),
    messagesTo: (target, page, now) => later(() => targets.messagesTo(target, page, now)),
    threadsOf: (uid, page) => later(() => threads.threadsOf(uid, page)),
    userCount: () => later(() => users.userCount()),
    userImport: (id) => later(() => imports.userImport(id)),
    segments: (page) => later(() => segments.segments(page)),
  };
};
