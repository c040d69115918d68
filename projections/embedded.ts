import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import type { Clock } from '../ports/clock.js';
import { deviceQueries } from './devices/queries.js';
import { inboxQueries } from './inbox/queries.js';
import { targetQueries } from './inbox/targets.js';
import { messageQueries } from './messages/queries.js';
import { ensureReadModels } from './tables.js';
import { threadQueries } from './threads/queries.js';
import type { ReadModels } from '../ports/read-models.js';
import { userQueries } from './users/queries.js';

import type { EventStore } from '../ports/eventstore.js';
import { createProjectionRunner } from './runner.js';
import type { EmbeddedProjectionRunner, ProjectionLog } from './runner.js';

// Only `message()` asks it (is the message still `scheduled`?); app/ passes the node's clock.
const wallClock: Clock = { now: () => new Date() };

export { checksum } from './checksum.js';
export { createProjectionRunner } from './runner.js';
export type { EmbeddedProjectionRunner, ProjectionLog, ProjectionRunnerOptions } from './runner.js';

/**
 * Opens (or creates) the read-model file, e.g. `<data dir>/read.db`. synchronous=NORMAL can
 * lose the last transactions on power loss, which is fine here: the checkpoint is lost with
 * them and the runner re-applies them from the log.
 */
export const openReadDb = (path: string): Database => {
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('temp_store = MEMORY');
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
  };
};

export interface EmbeddedReadStore {
  readonly db: Database;
  readonly models: ReadModels;
  readonly runner: EmbeddedProjectionRunner;
  /** Stops the runner (if running) and closes the file. */
  close(): Promise<void>;
}

/** The composition the server uses: one file, its read models, and the runner that feeds them. */
export const openEmbeddedReadStore = (options: {
  readonly file: string;
  readonly store: EventStore;
  readonly log?: ProjectionLog;
  readonly clock?: Clock;
}): EmbeddedReadStore => {
  const db = openReadDb(options.file);
  const runner = createProjectionRunner({
    store: options.store,
    db,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return {
    db,
    models: createEmbeddedReadModels(db, options.clock),
    runner,
    close: async () => {
      await runner.stop();
      db.close();
    },
  };
};
