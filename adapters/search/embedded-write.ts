import type { Database } from 'better-sqlite3';
import { tallies } from '../../schema/search-documents.js';
import { deliveryToRow, messageToRow } from './embedded-rows.js';
import type { DeliveryRow, MessageRow } from './embedded-rows.js';
import type { Checkpoint, SearchOp } from '../../ports/search.js';
import { indexedWords } from './words.js';
import { ERASED_TEXT } from '../../schema/personal.js';
import { userDropper, userWriter } from './embedded-users.js';
import { checkInWriter } from './embedded-checkins.js';
import { erasing } from '../sqlite/erasure.js';

/** A message's row in search_messages' column order (the insert's parameters). */
type MessageValues = [
  MessageRow['mid'],
  MessageRow['tid'],
  MessageRow['sender'],
  MessageRow['audience'],
  MessageRow['recipients'],
  MessageRow['text'],
  MessageRow['urgency'],
  MessageRow['at'],
  MessageRow['scheduled'],
  MessageRow['status'],
  MessageRow['counts'],
  MessageRow['funnel'],
  MessageRow['channels'],
  MessageRow['variants'],
];

/** Distinct sizes whose tally texts a writer keeps (each a few hundred bytes). */
const TALLY_TEXTS = 4096;

// One SQLite transaction per written batch, checkpoint included: either all of it is in the
// file or none. Each op is also idempotent by key, as the port requires of every engine.
export const embeddedWriter = (
  db: Database,
  saveCheckpoint: (name: string, position: number) => void,
): ((ops: readonly SearchOp[], checkpoint?: Checkpoint) => void) => {
  // Bound by position: binding the row's fourteen values by name cost ~1.5 us more per message (issue 15).
  const insertMessage = db.prepare<MessageValues>(
    `INSERT INTO search_messages (mid, tid, sender, audience, recipients, text, urgency, at, scheduled, status, counts,
       funnel, channels, variants)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (mid) DO NOTHING`,
  );
  const messageValues = (r: MessageRow): MessageValues => [
    r.mid,
    r.tid,
    r.sender,
    r.audience,
    r.recipients,
    r.text,
    r.urgency,
    r.at,
    r.scheduled,
    r.status,
    r.counts,
    r.funnel,
    r.channels,
    r.variants,
  ];
  const insertWords = db.prepare<[number | bigint, string]>(
    'INSERT INTO search_messages_fts (rowid, words) VALUES (?, ?)',
  );
  const setStatus = db.prepare<[string, string]>('UPDATE search_messages SET status = ? WHERE mid = ?');
  const putDelivery = db.prepare<DeliveryRow>(
    `INSERT INTO search_deliveries (id, mid, uid, channel, status, at, latency_ms, times, reason, attempts, tid, msg_at,
       read_ms)
     VALUES (@id, @mid, @uid, @channel, @status, @at, @latency_ms, @times, @reason, @attempts, @tid, @msg_at, @read_ms)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, at = excluded.at, latency_ms = excluded.latency_ms,
       times = excluded.times, reason = excluded.reason, attempts = excluded.attempts, tid = excluded.tid,
       msg_at = excluded.msg_at, read_ms = excluded.read_ms`,
  );
  const addToSet = db.prepare<[string, string, string]>(
    'INSERT OR IGNORE INTO search_receipt_sets (mid, status, uid) VALUES (?, ?, ?)',
  );
  // A count's row is written whole: a replay writes the same n again.
  const addCount = db.prepare<[string, string, string, number]>(
    'INSERT OR REPLACE INTO search_receipt_sets (mid, status, uid, n) VALUES (?, ?, ?, ?)',
  );
  const putLive = db.prepare<[string, string, string, string | null]>(
    'INSERT OR REPLACE INTO search_live (mid, key, uids, root) VALUES (?, ?, ?, ?)',
  );
  const putLiveRoot = db.prepare<[string, string]>(
    'INSERT OR REPLACE INTO search_live_roots (root, uids) VALUES (?, ?)',
  );
  const hold = db.prepare<[string, string, string, string, string]>(
    'INSERT OR IGNORE INTO search_held (mid, uid, channel, status, at) VALUES (?, ?, ?, ?, ?)',
  );
  const sizes = db.prepare<[string], { status: string; n: number }>(
    'SELECT status, SUM(n) AS n FROM search_receipt_sets WHERE mid = ? GROUP BY status',
  );
  const direct = db.prepare<[string, string]>('INSERT OR IGNORE INTO search_direct (uid, mid) VALUES (?, ?)');
  const directOf = db.prepare<[string, string], { rowid: number; mid: string; text: string }>(
    `SELECT m.rowid AS rowid, m.mid AS mid, m.text AS text FROM search_direct d JOIN search_messages m ON m.mid = d.mid
     WHERE d.uid = ? AND m.text <> ?`,
  );
  // The FTS table is contentless: a row's words are removed by giving them back.
  const unindex = db.prepare<[number, string]>(
    `INSERT INTO search_messages_fts (search_messages_fts, rowid, words) VALUES ('delete', ?, ?)`,
  );
  const blank = db.prepare<[string, string]>('UPDATE search_messages SET text = ? WHERE mid = ?');
  const erase = (uid: string): void => {
    for (const m of directOf.all(uid, ERASED_TEXT)) {
      unindex.run(m.rowid, indexedWords(m.text));
      blank.run(ERASED_TEXT, m.mid);
    }
  };

  const setTallies = db.prepare<[string, string, string, string]>(
    'UPDATE search_messages SET counts = ?, funnel = ?, channels = ? WHERE mid = ?',
  );
  // The texts of a message's counts, funnel and channels, by the sizes of its sets they are
  // tallied from: most messages have the same few sizes (one user addressed, one sent), and a
  // tally and its three JSON texts per recount were a sixth of the worker's writing (issue 15).
  // tallies() answers from the sizes alone, so the same sizes give the same texts.
  const texts = new Map<string, readonly [string, string, string]>();
  const recount = (mid: string): void => {
    const rows = sizes.all(mid);
    let key = '';
    for (const r of rows) key += `${r.status}\u0000${String(r.n)}\u0001`;
    let made = texts.get(key);
    if (made === undefined) {
      const t = tallies(new Map(rows.map((r) => [r.status, r.n])));
      made = [JSON.stringify(t.counts), JSON.stringify(t.funnel), JSON.stringify(t.channels)];
      if (texts.size >= TALLY_TEXTS) texts.clear();
      texts.set(key, made);
    }
    setTallies.run(made[0], made[1], made[2], mid);
  };
  const putUser = userWriter(db);
  const dropUser = userDropper(db);
  const checkIns = checkInWriter(db);

  const apply = (op: SearchOp): void => {
    switch (op.kind) {
      case 'createMessage': {
        const r = insertMessage.run(...messageValues(messageToRow(op.doc)));
        if (r.changes === 1) insertWords.run(r.lastInsertRowid, indexedWords(op.doc.text));
        if (op.to !== undefined) direct.run(op.to, op.doc.mid);
        return;
      }
      case 'eraseRecipient':
        erase(op.uid);
        checkIns.drop(op.uid);
        return;
      case 'setMessageStatus':
        setStatus.run(op.status, op.mid);
        return;
      case 'putDelivery':
        putDelivery.run(deliveryToRow(op.doc));
        return;
      case 'addToSet':
        if (op.n === undefined) addToSet.run(op.mid, op.status, op.uid);
        else addCount.run(op.mid, op.status, op.uid, op.n);
        return;
      case 'putLive':
        putLive.run(op.mid, op.key, op.uids.join('\n'), null);
        return;
      case 'putLiveRef':
        putLive.run(op.mid, op.key, '', op.root);
        return;
      case 'putLiveRoot':
        putLiveRoot.run(op.root, op.uids.join('\n'));
        return;
      case 'recount':
        recount(op.mid);
        return;
      case 'holdReceipt': {
        const r = op.receipt;
        hold.run(r.mid, r.uid, r.channel, r.status, r.at);
        return;
      }
      case 'putUser':
        putUser(op.doc);
        return;
      case 'dropUser':
        dropUser(op.uid);
        return;
      case 'putCheckIn':
        checkIns.put(op.doc);
        return;
      default: {
        const unhandled: never = op;
        throw new Error(`unknown op ${JSON.stringify(unhandled)}`);
      }
    }
  };

  const write = db.transaction((ops: readonly SearchOp[], checkpoint?: Checkpoint) => {
    for (const op of ops) apply(op);
    if (checkpoint !== undefined) saveCheckpoint(checkpoint.name, checkpoint.position);
  });
  // After a batch that erases someone, the WAL is truncated (docs/gdpr.md, adapters/sqlite/erasure.ts).
  return (ops, checkpoint) => {
    if (ops.some((op) => op.kind === 'eraseRecipient' || op.kind === 'dropUser'))
      erasing(db, () => {
        write(ops, checkpoint);
      });
    else write(ops, checkpoint);
  };
};
