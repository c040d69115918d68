import type { Audience } from '../../schema/message.js';
import { ERASED_TEXT } from '../../schema/personal.js';
import type { SqliteProjection } from '../projection.js';

// Every message once, whatever its audience. `eff` (scheduled ?? at, epoch ms) orders
// pages; `position` (of MessagePublished) decides who it reached: subscribers at that
// position, users known before it. Two partial indexes serve the inbox's fan-out on read.
const ddl = [
  `CREATE TABLE IF NOT EXISTS messages (
     mid TEXT PRIMARY KEY,
     tid TEXT,
     kind TEXT NOT NULL,
     audience TEXT NOT NULL,
     sender TEXT NOT NULL,
     msg TEXT NOT NULL,
     opts TEXT NOT NULL,
     urgency INTEGER NOT NULL,
     at TEXT NOT NULL,
     scheduled TEXT,
     subject TEXT,
     eff INTEGER NOT NULL,
     position INTEGER NOT NULL,
     status TEXT NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS messages_by_thread ON messages (tid, eff, mid, position) WHERE tid IS NOT NULL',
  `CREATE INDEX IF NOT EXISTS messages_broadcast ON messages (eff, mid, position) WHERE kind = 'everyone'`,
];

const threadOf = (a: Audience): string | null => (a.kind === 'thread' ? a.tid : null);

type PublishArgs = [
  string,
  string | null,
  string,
  string,
  string,
  string,
  string,
  number,
  string,
  string | null,
  string | null,
  number,
  number,
];

export const messagesProjection: SqliteProjection = {
  name: 'messages',
  tables: ['messages'],
  ddl,
  prepare: (db) => {
    // Content is immutable per mid, so a redelivered MessagePublished must not reset a later status.
    const publish = db.prepare<PublishArgs>(
      `INSERT INTO messages (mid, tid, kind, audience, sender, msg, opts, urgency, at, scheduled, subject, eff, position, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'published') ON CONFLICT (mid) DO NOTHING`,
    );
    // Retraction wins over cancellation whatever order they arrive in.
    const cancel = db.prepare<[string]>(
      `UPDATE messages SET status = 'cancelled' WHERE mid = ? AND status = 'published'`,
    );
    const retract = db.prepare<[string]>(`UPDATE messages SET status = 'retracted' WHERE mid = ?`);
    // An erased user's messages (those addressed to them alone) keep their place, not their content.
    // A scan of the direct messages: erasures are rare, an index would cost every publish.
    const erase = db.prepare<[string, string, number]>(
      `UPDATE messages SET msg = ?, opts = '{}', subject = NULL
       WHERE kind = 'user' AND json_extract(audience, '$.uid') = ? AND position < ?`,
    );
    return {
      MessagePublished: (e, at) => {
        publish.run(
          e.mid,
          threadOf(e.audience),
          e.audience.kind,
          JSON.stringify(e.audience),
          e.from,
          e.msg,
          JSON.stringify(e.opts),
          e.urgency,
          e.at,
          e.scheduled ?? null,
          e.subject ?? null,
          Date.parse(e.scheduled ?? e.at),
          at.position,
        );
      },
      MessageCancelled: (e) => {
        cancel.run(e.mid);
      },
      MessageRetracted: (e) => {
        retract.run(e.mid);
      },
      UserErased: (e, at) => {
        erase.run(ERASED_TEXT, e.uid, at.position);
      },
    };
  },
};
