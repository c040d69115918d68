import type { ReceiptStatus } from '../../schema/events.js';
import type { SqliteProjection } from '../projection.js';

// What a user's inbox is made of, stored without fan-out: direct recipients (one row per
// addressed user), subscription periods (thread messages reach a user between subscribing and
// unsubscribing, by log position), per-message state (seen/read/deleted) and last-read
// markers. Broadcasts and thread messages are joined in when the inbox is read.
const ddl = [
  `CREATE TABLE IF NOT EXISTS inbox_direct (
     uid TEXT NOT NULL, eff INTEGER NOT NULL, mid TEXT NOT NULL,
     PRIMARY KEY (uid, eff, mid)
   ) WITHOUT ROWID`,
  // The parts of a chunked audience (AudienceChunk), held until their MessagePublished names
  // the message's time; then copied into inbox_direct in one statement and dropped.
  `CREATE TABLE IF NOT EXISTS inbox_chunked (
     mid TEXT NOT NULL, uid TEXT NOT NULL,
     PRIMARY KEY (mid, uid)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS subscriptions (
     uid TEXT NOT NULL, tid TEXT NOT NULL, from_position INTEGER NOT NULL, to_position INTEGER,
     PRIMARY KEY (uid, tid, from_position)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS inbox_state (
     uid TEXT NOT NULL, mid TEXT NOT NULL,
     seen INTEGER NOT NULL, read INTEGER NOT NULL, deleted INTEGER NOT NULL,
     PRIMARY KEY (uid, mid)
   ) WITHOUT ROWID`,
  // scope '' is the whole inbox; otherwise a thread id.
  `CREATE TABLE IF NOT EXISTS read_markers (
     uid TEXT NOT NULL, scope TEXT NOT NULL, mid TEXT NOT NULL,
     PRIMARY KEY (uid, scope)
   ) WITHOUT ROWID`,
];

const flags = (s: ReceiptStatus): { seen: number; read: number } =>
  s === 'read' || s === 'clicked' ? { seen: 1, read: 1 } : s === 'seen' ? { seen: 1, read: 0 } : { seen: 0, read: 0 };

export const inboxProjection: SqliteProjection = {
  name: 'inbox',
  tables: ['inbox_direct', 'inbox_chunked', 'subscriptions', 'inbox_state', 'read_markers'],
  ddl,
  prepare: (db) => {
    const direct = db.prepare<[string, number, string]>(
      'INSERT OR IGNORE INTO inbox_direct (uid, eff, mid) VALUES (?, ?, ?)',
    );
    const chunked = db.prepare<[string, string]>('INSERT OR IGNORE INTO inbox_chunked (mid, uid) VALUES (?, ?)');
    const published = db.prepare<[number, string]>(
      'INSERT OR IGNORE INTO inbox_direct (uid, eff, mid) SELECT uid, ?, mid FROM inbox_chunked WHERE mid = ?',
    );
    const dropChunked = db.prepare<[string]>('DELETE FROM inbox_chunked WHERE mid = ?');
    // Erasure (docs/gdpr.md): the user's membership in multicasts goes (a list or a chunked
    // audience resolved from a segment says they matched its query); direct messages keep their
    // place, blanked by the messages projection. Rows present now are from earlier positions:
    // SQLite applies the log in order, so a multicast after the erasure still reaches them.
    const leaveMulticasts = db.prepare<[string]>(
      `DELETE FROM inbox_direct WHERE uid = ?
         AND mid IN (SELECT mid FROM messages WHERE kind IN ('users', 'chunked'))`,
    );
    // Parts whose message is not in yet (held only until it is, so this scan stays small).
    const leaveParts = db.prepare<[string]>('DELETE FROM inbox_chunked WHERE uid = ?');
    // A period opens only if none already covers this position: a redelivered (or duplicate)
    // subscribe then changes nothing, even after the period it belongs to was closed.
    const subscribe = db.prepare<{ uid: string; tid: string; p: number }>(
      `INSERT INTO subscriptions (uid, tid, from_position, to_position)
       SELECT :uid, :tid, :p, NULL WHERE NOT EXISTS (
         SELECT 1 FROM subscriptions WHERE uid = :uid AND tid = :tid AND from_position <= :p
           AND (to_position IS NULL OR to_position > :p))`,
    );
    const unsubscribe = db.prepare<{ uid: string; tid: string; p: number }>(
      `UPDATE subscriptions SET to_position = :p
       WHERE uid = :uid AND tid = :tid AND to_position IS NULL AND from_position < :p`,
    );
    // Flags only ever go from 0 to 1, so MAX merges make every redelivery harmless.
    const state = db.prepare<[string, string, number, number, number]>(
      `INSERT INTO inbox_state (uid, mid, seen, read, deleted) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (uid, mid) DO UPDATE SET
         seen = MAX(seen, excluded.seen), read = MAX(read, excluded.read), deleted = MAX(deleted, excluded.deleted)`,
    );
    // Markers only move forward (mids are UUIDv7, so a larger mid is a later message).
    const marker = db.prepare<[string, string, string]>(
      `INSERT INTO read_markers (uid, scope, mid) VALUES (?, ?, ?)
       ON CONFLICT (uid, scope) DO UPDATE SET mid = MAX(mid, excluded.mid)`,
    );
    return {
      MessagePublished: (e) => {
        const eff = Date.parse(e.scheduled ?? e.at);
        const a = e.audience;
        if (a.kind === 'user') direct.run(a.uid, eff, e.mid);
        if (a.kind === 'users') for (const uid of a.uids) direct.run(uid, eff, e.mid);
        if (a.kind === 'chunked') {
          published.run(eff, e.mid);
          dropChunked.run(e.mid);
        }
      },
      AudienceChunk: (e) => {
        for (const uid of e.uids) chunked.run(e.mid, uid);
      },
      UserErased: (e) => {
        leaveMulticasts.run(e.uid);
        leaveParts.run(e.uid);
      },
      ThreadMemberAdded: (e, at) => {
        if (e.role === 'subscriber') subscribe.run({ uid: e.uid, tid: e.tid, p: at.position });
      },
      ThreadMemberRemoved: (e, at) => {
        if (e.role === 'subscriber') unsubscribe.run({ uid: e.uid, tid: e.tid, p: at.position });
      },
      MessagesAcknowledged: (e) => {
        const f = flags(e.status);
        if (f.seen === 0) return; // 'delivered' says nothing about the inbox
        for (const mid of e.mids) state.run(e.uid, mid, f.seen, f.read, 0);
      },
      LastReadMarked: (e) => {
        marker.run(e.uid, e.tid ?? '', e.mid);
      },
      MessageDeletedFromInbox: (e) => {
        for (const mid of e.mids) state.run(e.uid, mid, 0, 0, 1);
      },
    };
  },
};
