import type { Database } from 'better-sqlite3';
import { clampLimit, encodeCursor, newestFirst, upperBound } from '../paging.js';
import type { MessageRow } from '../messages/row.js';
import { toView } from '../messages/row.js';
import type { InboxItem, Page, PageRequest } from '../../ports/read-models.js';
import { userQueries } from '../users/queries.js';
import { BROADCAST_SQL, DIRECT_SQL, THREAD_SQL } from './sources.js';
import type { SourceParams } from './sources.js';

type Row = MessageRow & { st_seen: number; st_read: number };
interface Period {
  tid: string;
  from_position: number;
  to_position: number | null;
}

export interface InboxQueries {
  inbox(uid: string, page: PageRequest & { readonly unseen?: boolean }, now: Date): Page<InboxItem>;
  isRecipient(mid: string, uid: string): boolean;
  subscribedThreads(uid: string): string[];
}

export const inboxQueries = (db: Database): InboxQueries => {
  const direct = db.prepare<[SourceParams], Row>(DIRECT_SQL);
  const broadcast = db.prepare<[SourceParams & { known: number }], Row>(BROADCAST_SQL);
  const thread = db.prepare<[SourceParams & { tid: string; from: number; to: number }], Row>(THREAD_SQL);
  const periods = db.prepare<[string], Period>(
    'SELECT tid, from_position, to_position FROM subscriptions WHERE uid = ?',
  );
  const openPeriods = db.prepare<[string], { tid: string }>(
    'SELECT DISTINCT tid FROM subscriptions WHERE uid = ? AND to_position IS NULL ORDER BY tid',
  );
  const markers = db.prepare<[string], { scope: string; mid: string }>(
    'SELECT scope, mid FROM read_markers WHERE uid = ?',
  );
  const users = userQueries(db);
  const audienceOf = db.prepare<[string], { kind: string; tid: string | null; position: number }>(
    'SELECT kind, tid, position FROM messages WHERE mid = ?',
  );
  const directTo = db.prepare<[string, string], { one: number }>(
    'SELECT 1 AS one FROM inbox_direct WHERE uid = ? AND mid = ?',
  );
  const subscribedAt = db.prepare<{ uid: string; tid: string; p: number }, { one: number }>(
    `SELECT 1 AS one FROM subscriptions WHERE uid = :uid AND tid = :tid AND from_position < :p
       AND (to_position IS NULL OR to_position > :p) LIMIT 1`,
  );

  const inbox: InboxQueries['inbox'] = (uid, page, now) => {
    const bound = upperBound(page.before, now);
    if (bound === undefined) return { messages: [], next: null };
    const limit = clampLimit(page.limit);
    const marks = new Map(markers.all(uid).map((m) => [m.scope, m.mid]));
    const gmark = marks.get('') ?? '';
    const base: SourceParams = {
      uid,
      ...bound,
      limit: limit + 1,
      unseen: page.unseen === true ? 1 : 0,
      gmark,
      tmark: '',
    };

    const rows = direct.all(base);
    const first = users.firstPosition(uid);
    if (first !== undefined) rows.push(...broadcast.all({ ...base, known: first }));
    for (const p of periods.all(uid)) {
      const to = p.to_position ?? Number.MAX_SAFE_INTEGER;
      rows.push(...thread.all({ ...base, tid: p.tid, from: p.from_position, to, tmark: marks.get(p.tid) ?? '' }));
    }
    rows.sort(newestFirst);
    const items = rows.slice(0, limit + 1);
    const last = items[limit - 1];
    const covered = (r: Row): boolean => r.mid <= gmark || (r.tid !== null && r.mid <= (marks.get(r.tid) ?? ''));
    return {
      messages: items.slice(0, limit).map((r) => {
        const read = r.st_read === 1 || covered(r);
        return { ...toView(r), seen: read || r.st_seen === 1, read };
      }),
      next: items.length > limit && last !== undefined ? encodeCursor(last) : null,
    };
  };

  const isRecipient = (mid: string, uid: string): boolean => {
    const m = audienceOf.get(mid);
    if (m === undefined) return false;
    if (m.kind === 'user' || m.kind === 'users' || m.kind === 'chunked') return directTo.get(uid, mid) !== undefined;
    if (m.kind === 'everyone') return (users.firstPosition(uid) ?? Infinity) < m.position;
    return m.tid !== null && subscribedAt.get({ uid, tid: m.tid, p: m.position }) !== undefined;
  };

  return { inbox, isRecipient, subscribedThreads: (uid) => openPeriods.all(uid).map((r) => r.tid) };
};
