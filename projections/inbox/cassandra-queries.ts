import type { CassandraDb, Row } from '../cassandra-db.js';
import { flag, long, num, str } from '../cassandra-db.js';
import { indexSlice, scan, scanPartitions, toPage } from '../cassandra-scan.js';
import type { IndexRow } from '../messages/cassandra-row.js';
import { bucketOf } from '../messages/cassandra-row.js';
import { clampLimit, newestFirst, upperBound } from '../paging.js';
import type { InboxItem, Page, PageRequest } from '../../ports/read-models.js';
import { cassandraUserQueries } from '../users/cassandra.js';
import { cassandraAudienceSource } from './cassandra-audience.js';

// The inbox resolved on read, as in SQLite (inbox/sources.ts): the direct rows, the
// broadcasts published after the user became known, and each subscription period's thread
// messages, each scanned newest first below the page bound until it has limit + 1 rows that
// pass every filter, then merged. The same cursors page both stores.

export interface Period {
  readonly tid: string;
  readonly from: number;
  readonly to: number;
}

/** Periods from subscribe/unsubscribe rows in (tid, position) order: the SQLite projection's rules, applied on read. */
export const periodsOf = (changes: readonly { tid: string; position: number; subscribed: boolean }[]): Period[] => {
  const out: Period[] = [];
  const open = new Map<string, number>();
  for (const c of changes) {
    const from = open.get(c.tid);
    if (c.subscribed && from === undefined) open.set(c.tid, c.position);
    if (!c.subscribed && from !== undefined) {
      out.push({ tid: c.tid, from, to: c.position });
      open.delete(c.tid);
    }
  }
  for (const [tid, from] of open) out.push({ tid, from, to: Number.MAX_SAFE_INTEGER });
  return out;
};

const changeOf = (r: Row) => ({ tid: str(r.tid), position: num(r.position), subscribed: flag(r.subscribed) });

type Item = IndexRow & { readonly stSeen: boolean; readonly stRead: boolean };

export interface CassandraInboxQueries {
  inbox(uid: string, page: PageRequest & { readonly unseen?: boolean }, now: Date): Promise<Page<InboxItem>>;
  isRecipient(mid: string, uid: string): Promise<boolean>;
  subscribedThreads(uid: string): Promise<string[]>;
}

export const cassandraInboxQueries = (db: CassandraDb): CassandraInboxQueries => {
  const users = cassandraUserQueries(db);
  const audiences = cassandraAudienceSource(db);
  const markers = `SELECT scope, mid FROM ${db.t('last_read')} WHERE uid = ?`;
  const changes = `SELECT tid, position, subscribed FROM ${db.t('subscription_changes')} WHERE uid = ?`;
  const changesIn = `SELECT tid, position, subscribed FROM ${db.t('subscription_changes')} WHERE uid = ? AND tid = ?`;
  const buckets = `SELECT bucket FROM ${db.t('broadcast_buckets')} WHERE scope = 'everyone' AND bucket <= ?`;
  const states = `SELECT mid, seen, read, deleted FROM ${db.t('inbox_state')} WHERE uid = ? AND mid IN ?`;
  const audienceOf = `SELECT kind, tid, position, eff FROM ${db.t('messages')} WHERE mid = ?`;
  const directTo = `SELECT mid FROM ${db.t('inbox_direct')} WHERE uid = ? AND eff = ? AND mid = ?`;

  const inbox: CassandraInboxQueries['inbox'] = async (uid, page, now) => {
    const bound = upperBound(page.before, now);
    if (bound === undefined) return { messages: [], next: null };
    const limit = clampLimit(page.limit);
    const unseen = page.unseen === true;
    const [markRows, first, changeRows, bucketRows] = await Promise.all([
      db.read(markers, [uid]),
      users.firstPosition(uid),
      db.read(changes, [uid]),
      db.read(buckets, [bucketOf(bound.eff)]),
    ]);
    // Rows come scope by scope, largest mid first: the first row of a scope is its marker.
    const marks = new Map<string, string>();
    for (const r of markRows) if (!marks.has(str(r.scope))) marks.set(str(r.scope), str(r.mid));
    const gmark = marks.get('') ?? '';

    // Filters on the index row first (cheap), then the user's state of what is left, in one read per chunk.
    const keep =
      (inSource: (r: IndexRow) => boolean, tmark: string) =>
      async (rows: IndexRow[]): Promise<Item[]> => {
        const candidates = rows.filter(
          (r) => !r.withdrawn && inSource(r) && (!unseen || (r.mid > gmark && r.mid > tmark)),
        );
        if (candidates.length === 0) return [];
        const st = new Map((await db.read(states, [uid, candidates.map((r) => r.mid)])).map((s) => [str(s.mid), s]));
        return candidates.flatMap((r) => {
          const s = st.get(r.mid);
          const item = { ...r, stSeen: flag(s?.seen), stRead: flag(s?.read) };
          return flag(s?.deleted) || (unseen && item.stSeen) ? [] : [item];
        });
      };
    const want = limit + 1;
    const sources: Promise<Item[]>[] = [
      scan(
        indexSlice(db, 'inbox_direct', 'uid', uid),
        bound,
        want,
        keep(() => true, ''),
      ),
    ];
    // Large segment/query multicasts the user is in (their rows are read whole: one per multicast).
    sources.push(audiences.rows(uid, bound).then(async (rows) => (await keep(() => true, '')(rows)).slice(0, want)));
    if (first !== undefined) {
      const slices = bucketRows.map((b) => indexSlice(db, 'broadcasts', 'bucket', num(b.bucket)));
      sources.push(
        scanPartitions(
          slices,
          bound,
          want,
          keep((r) => r.position > first, ''),
        ),
      );
    }
    for (const p of periodsOf(changeRows.map(changeOf))) {
      const inPeriod = (r: IndexRow): boolean => r.position > p.from && r.position < p.to;
      sources.push(
        scan(
          indexSlice(db, 'messages_by_thread', 'tid', p.tid, p.tid),
          bound,
          want,
          keep(inPeriod, marks.get(p.tid) ?? ''),
        ),
      );
    }
    const rows = (await Promise.all(sources)).flat().sort(newestFirst).slice(0, want);
    const covered = (r: Item): boolean => {
      const tid = r.view.tid;
      return r.mid <= gmark || (tid !== undefined && r.mid <= (marks.get(tid) ?? ''));
    };
    return toPage(rows, limit, (r) => {
      const read = r.stRead || covered(r);
      return { ...r.view, seen: read || r.stSeen, read };
    });
  };

  const isRecipient = async (mid: string, uid: string): Promise<boolean> => {
    const [m] = await db.read(audienceOf, [mid]);
    if (m === undefined || m.kind === null) return false;
    const kind = str(m.kind);
    const position = num(m.position);
    if (kind === 'user' || kind === 'users') return (await db.read(directTo, [uid, long(num(m.eff)), mid])).length > 0;
    if (kind === 'chunked') return audiences.isMember(uid, mid);
    if (kind === 'everyone') return ((await users.firstPosition(uid)) ?? Infinity) < position;
    if (m.tid === null) return false;
    const periods = periodsOf((await db.read(changesIn, [uid, str(m.tid)])).map(changeOf));
    return periods.some((p) => p.from < position && p.to > position);
  };

  // Open periods are the current subscriptions; tids sorted as the SQLite store returns them.
  const subscribedThreads = async (uid: string): Promise<string[]> =>
    periodsOf((await db.read(changes, [uid])).map(changeOf))
      .filter((p) => p.to === Number.MAX_SAFE_INTEGER)
      .map((p) => p.tid)
      .sort();
  return { inbox, isRecipient, subscribedThreads };
};
