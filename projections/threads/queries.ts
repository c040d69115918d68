import type { Database } from 'better-sqlite3';
import type { ThreadRole } from '../../schema/events.js';
import type { Urgency } from '../../schema/message.js';
import { clampLimit } from '../paging.js';
import type { MemberThread, ThreadView } from '../../ports/read-models.js';

interface ThreadRow {
  tid: string;
  owner: string;
  name: string | null;
  opens: number;
  openp: number;
  urgency: number | null;
  channels: string;
  fallback: string;
  mtypes: string;
  created_at: string;
}
export interface Member {
  readonly uid: string;
  readonly roles: readonly ThreadRole[];
}

export interface ThreadQueries {
  thread(tid: string): ThreadView | undefined;
  threadMembers(tid: string, page: { after?: string; limit: number }): Member[];
  memberRoles(tid: string, uid: string): ThreadRole[];
  threadsOf(uid: string, page: { after?: string; limit: number }): MemberThread[];
}

// Stored JSON and roles were written from decoded events, so the casts restate what the codec checked.
const strings = (json: string): string[] => JSON.parse(json) as string[];

export const threadQueries = (db: Database): ThreadQueries => {
  const byId = db.prepare<[string], ThreadRow>('SELECT * FROM threads WHERE tid = ?');
  const withRole = db.prepare<[string, string], { uid: string }>(
    'SELECT uid FROM thread_members WHERE tid = ? AND role = ? ORDER BY uid',
  );
  const subscribers = db.prepare<[string], { n: number }>(
    `SELECT COUNT(*) AS n FROM thread_members WHERE tid = ? AND role = 'subscriber'`,
  );
  const members = db.prepare<[string, string, number], { uid: string; roles: string }>(
    `SELECT uid, group_concat(role) AS roles FROM thread_members WHERE tid = ? AND uid > ?
     GROUP BY uid ORDER BY uid LIMIT ?`,
  );
  const roles = db.prepare<[string, string], { role: string }>(
    'SELECT role FROM thread_members WHERE tid = ? AND uid = ? ORDER BY role',
  );

  const mine = db.prepare<
    { uid: string; after: string; limit: number },
    { tid: string; owner: number; roles: string | null }
  >(
    `SELECT tid, MAX(owner) AS owner, group_concat(role) AS roles FROM (
       SELECT tid, 1 AS owner, NULL AS role FROM threads WHERE owner = :uid AND tid > :after
       UNION ALL
       SELECT tid, 0 AS owner, role FROM thread_members WHERE uid = :uid AND tid > :after
     ) GROUP BY tid ORDER BY tid LIMIT :limit`,
  );

  const thread = (tid: string): ThreadView | undefined => {
    const r = byId.get(tid);
    if (r === undefined) return undefined;
    return {
      tid: r.tid,
      owner: r.owner,
      opens: r.opens === 1,
      openp: r.openp === 1,
      ...(r.name === null ? {} : { name: r.name }),
      ...(r.urgency === null ? {} : { urgency: r.urgency as Urgency }),
      channels: strings(r.channels),
      fallback: strings(r.fallback),
      mtypes: strings(r.mtypes),
      admins: withRole.all(tid, 'admin').map((m) => m.uid),
      publishers: withRole.all(tid, 'publisher').map((m) => m.uid),
      subscribers: subscribers.get(tid)?.n ?? 0,
      createdAt: r.created_at,
    };
  };
  return {
    thread,
    // Members page by uid; roles come back in the primary key's order (admin, publisher, subscriber).
    threadMembers: (tid, page) =>
      members
        .all(tid, page.after ?? '', clampLimit(page.limit))
        .map((m) => ({ uid: m.uid, roles: m.roles.split(',').sort() as ThreadRole[] })),
    memberRoles: (tid, uid) => roles.all(tid, uid).map((r) => r.role as ThreadRole),
    threadsOf: (uid, page) =>
      mine.all({ uid, after: page.after ?? '', limit: clampLimit(page.limit) }).map((r) => ({
        tid: r.tid,
        owner: r.owner === 1,
        roles: r.roles === null ? [] : (r.roles.split(',').sort() as ThreadRole[]),
      })),
  };
};
