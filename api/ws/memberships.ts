import type { Database } from 'better-sqlite3';

// Which threads a user currently subscribes to: the topics their sockets join on connect.
// ReadModels has no such query yet, so this port reads the embedded inbox read model's
// `subscriptions` table (open periods) directly; another read store implements the same port.
export interface Memberships {
  threadsOf(uid: string): Promise<readonly string[]>;
}

export const embeddedMemberships = (db: Database): Memberships => {
  const open = db.prepare<[string], { tid: string }>('SELECT DISTINCT tid FROM subscriptions WHERE uid = ? AND to_position IS NULL');
  return {
    threadsOf: (uid) => {
      try { return Promise.resolve(open.all(uid).map((r) => r.tid)); } catch (e) { return Promise.reject(e instanceof Error ? e : new Error(String(e))); }
    },
  };
};
