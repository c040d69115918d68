import type { Session } from './session.js';

// The sessions of this node, by user and by session id. Fan-out goes through uWS topics; this
// index serves what topics cannot: membership changes for one user's sockets, sessions still
// catching up, presence counts, and per-user limits.
export interface Registry {
  add(s: Session): void;
  remove(s: Session): boolean;
  ofUser(uid: string): ReadonlySet<Session> | undefined;
  bySid(sid: string): Session | undefined;
  /** Sessions in `catching-up`; they collect live frames in their buffers. */
  readonly pending: Set<Session>;
  /** Sessions in another protocol (api/ws/wsn.ts): on no uWS topic, the fan-out writes to each. */
  readonly compat: ReadonlySet<Session>;
  all(): IterableIterator<Session>;
  /** Each user with sessions here, and how many. */
  counts(): IterableIterator<[string, number]>;
  size(): number;
  users(): number;
}

export const createRegistry = (): Registry => {
  const byUser = new Map<string, Set<Session>>();
  const sids = new Map<string, Session>();
  const pending = new Set<Session>();
  const compat = new Set<Session>();
  return {
    add: (s) => {
      sids.set(s.sid, s);
      if (s.compat !== undefined) compat.add(s);
      const set = byUser.get(s.uid) ?? new Set<Session>();
      set.add(s);
      byUser.set(s.uid, set);
    },
    remove: (s) => {
      pending.delete(s);
      compat.delete(s);
      if (!sids.delete(s.sid)) return false;
      const set = byUser.get(s.uid);
      set?.delete(s);
      if (set?.size === 0) byUser.delete(s.uid);
      return true;
    },
    ofUser: (uid) => byUser.get(uid),
    bySid: (sid) => sids.get(sid),
    pending,
    compat,
    all: () => sids.values(),
    counts: function* () {
      for (const [uid, set] of byUser) yield [uid, set.size];
    },
    size: () => sids.size,
    users: () => byUser.size,
  };
};
