import type { ThreadRole } from '../../schema/events.js';
import type { Urgency } from '../../schema/message.js';
import type { CassandraDb } from '../cassandra-db.js';
import { firstWins, lastWins, long, num, optStr, orUnset, str, strs } from '../cassandra-db.js';
import type { CassandraProjection } from '../cassandra-projection.js';
import { clampLimit } from '../paging.js';
import type { MemberThread, ThreadView } from '../../ports/read-models.js';
import type { Member } from './queries.js';

// A thread's settings (threads, written once: firstWins), its members' roles as a set per
// member (thread_members: set elements are cells with their own timestamps, so adds and
// removes commute) and the same memberships by role (thread_roles) for the thread view's
// admins, publishers and subscriber count. Subscription periods live with the inbox.
export const threadsCassandra: CassandraProjection = {
  name: 'threads',
  tables: ['threads', 'thread_members', 'thread_roles', 'thread_settings', 'threads_by_member'],
  prepare: (db) => {
    const create = `INSERT INTO ${db.t('threads')} (tid, owner, name, opens, openp, urgency, channels, fallback, mtypes, created_at, position)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    const grant = `UPDATE ${db.t('thread_members')} USING TIMESTAMP ? SET roles = roles + ? WHERE tid = ? AND uid = ?`;
    const revoke = `UPDATE ${db.t('thread_members')} USING TIMESTAMP ? SET roles = roles - ? WHERE tid = ? AND uid = ?`;
    const addRole = `INSERT INTO ${db.t('thread_roles')} (tid, role, uid) VALUES (?, ?, ?) USING TIMESTAMP ?`;
    const removeRole = `DELETE FROM ${db.t('thread_roles')} USING TIMESTAMP ? WHERE tid = ? AND role = ? AND uid = ?`;
    const owned = `UPDATE ${db.t('threads_by_member')} USING TIMESTAMP ? SET owner = true WHERE uid = ? AND tid = ?`;
    const join = `UPDATE ${db.t('threads_by_member')} USING TIMESTAMP ? SET roles = roles + ? WHERE uid = ? AND tid = ?`;
    const part = `UPDATE ${db.t('threads_by_member')} USING TIMESTAMP ? SET roles = roles - ? WHERE uid = ? AND tid = ?`;
    const setting = (column: 'name' | 'opens' | 'openp') =>
      `UPDATE ${db.t('thread_settings')} USING TIMESTAMP ? SET ${column} = ? WHERE tid = ?`;
    return {
      ThreadSettingsChanged: (e, at) =>
        (['name', 'opens', 'openp'] as const).flatMap((column) =>
          e[column] === undefined
            ? []
            : [
                {
                  cql: setting(column),
                  params: [lastWins(at.position), e[column], e.tid],
                  partition: `thread_settings:${e.tid}`,
                },
              ],
        ),
      ThreadCreated: (e, at) => [
        {
          cql: owned,
          params: [firstWins(at.position), e.owner, e.tid],
          partition: `threads_by_member:${e.owner}`,
        },
        {
          cql: create,
          params: [
            e.tid,
            e.owner,
            orUnset(e.name),
            e.opens,
            e.openp,
            orUnset(e.urgency),
            e.channels ?? [],
            e.fallback ?? [],
            e.mtypes ?? [],
            at.occurredAt,
            long(at.position),
            firstWins(at.position),
          ],
          partition: `threads:${e.tid}`,
        },
      ],
      ThreadMemberAdded: (e, at) => [
        { cql: join, params: [lastWins(at.position), [e.role], e.uid, e.tid], partition: `threads_by_member:${e.uid}` },
        { cql: grant, params: [lastWins(at.position), [e.role], e.tid, e.uid], partition: `thread_members:${e.tid}` },
        { cql: addRole, params: [e.tid, e.role, e.uid, lastWins(at.position)], partition: `thread_roles:${e.tid}` },
      ],
      ThreadMemberRemoved: (e, at) => [
        { cql: part, params: [lastWins(at.position), [e.role], e.uid, e.tid], partition: `threads_by_member:${e.uid}` },
        { cql: revoke, params: [lastWins(at.position), [e.role], e.tid, e.uid], partition: `thread_members:${e.tid}` },
        { cql: removeRole, params: [lastWins(at.position), e.tid, e.role, e.uid], partition: `thread_roles:${e.tid}` },
      ],
    };
  },
};

export interface CassandraThreadQueries {
  thread(tid: string): Promise<ThreadView | undefined>;
  threadMembers(tid: string, page: { after?: string; limit: number }): Promise<Member[]>;
  memberRoles(tid: string, uid: string): Promise<ThreadRole[]>;
  threadsOf(uid: string, page: { after?: string; limit: number }): Promise<MemberThread[]>;
}

export const cassandraThreadQueries = (db: CassandraDb): CassandraThreadQueries => {
  const byId = `SELECT * FROM ${db.t('threads')} WHERE tid = ?`;
  const withRole = `SELECT uid FROM ${db.t('thread_roles')} WHERE tid = ? AND role = ?`;
  // O(subscribers) inside one partition; a counter would drift under replay.
  const subscribers = `SELECT COUNT(*) AS n FROM ${db.t('thread_roles')} WHERE tid = ? AND role = 'subscriber'`;
  const members = `SELECT uid, roles FROM ${db.t('thread_members')} WHERE tid = ? AND uid > ? LIMIT ?`;
  const roles = `SELECT roles FROM ${db.t('thread_members')} WHERE tid = ? AND uid = ?`;
  const changed = `SELECT name, opens, openp FROM ${db.t('thread_settings')} WHERE tid = ?`;
  const mine = `SELECT tid, owner, roles FROM ${db.t('threads_by_member')} WHERE uid = ? AND tid > ? LIMIT ?`;
  const uids = async (tid: string, role: ThreadRole): Promise<string[]> =>
    (await db.read(withRole, [tid, role])).map((r) => str(r.uid));

  return {
    thread: async (tid) => {
      const [[r], admins, publishers, [n], [c]] = await Promise.all([
        db.read(byId, [tid]),
        uids(tid, 'admin'),
        uids(tid, 'publisher'),
        db.read(subscribers, [tid]),
        db.read(changed, [tid]),
      ]);
      if (r === undefined || r.owner === null) return undefined;
      // A setting changed after creation (thread_settings) wins over the one created with.
      const later = (k: 'name' | 'opens' | 'openp'): unknown => ((c?.[k] ?? null) !== null ? c?.[k] : r[k]);
      const name = optStr(later('name'));
      return {
        tid: str(r.tid),
        owner: str(r.owner),
        opens: later('opens') === true,
        openp: later('openp') === true,
        ...(name === undefined ? {} : { name }),
        ...(r.urgency === null || r.urgency === undefined ? {} : { urgency: num(r.urgency) as Urgency }),
        channels: strs(r.channels),
        fallback: strs(r.fallback),
        mtypes: strs(r.mtypes),
        admins,
        publishers,
        subscribers: num(n?.n ?? 0),
        createdAt: str(r.created_at),
      };
    },
    // Sets come back sorted, so roles are in the same order as SQLite's (admin, publisher, subscriber).
    // Roles were written from decoded events, so the casts restate what the codec checked.
    threadMembers: async (tid, page) =>
      (await db.read(members, [tid, page.after ?? '', clampLimit(page.limit)])).map((m) => ({
        uid: str(m.uid),
        roles: strs(m.roles) as ThreadRole[],
      })),
    memberRoles: async (tid, uid) => strs((await db.read(roles, [tid, uid]))[0]?.roles) as ThreadRole[],
    // Former memberships (no roles left, not the owner) are skipped, reading on until the page is full.
    threadsOf: async (uid, page) => {
      const limit = clampLimit(page.limit);
      const out: MemberThread[] = [];
      let after = page.after ?? '';
      for (;;) {
        const rows = await db.read(mine, [uid, after, limit]);
        for (const m of rows) {
          const held = strs(m.roles) as ThreadRole[];
          if (m.owner === true || held.length > 0) out.push({ tid: str(m.tid), owner: m.owner === true, roles: held });
        }
        const last = rows[rows.length - 1];
        if (out.length >= limit || rows.length < limit || last === undefined) return out.slice(0, limit);
        after = str(last.tid);
      }
    },
  };
};
