import Database from 'better-sqlite3';
import type { JsonValue } from '../../schema/json.js';
import type { ChannelKind } from '../../ports/channel.js';
import type { OutboxEntry, OutboxRecord, OutboxStore } from '../../ports/outbox.js';
import { createSqliteCheckpoints } from '../checkpoint/sqlite.js';
import { useWal } from '../sqlite/wal.js';

// The outbox on SQLite (outbox.db in the data directory). It holds what the provider would have
// been sent (text, addresses): `secure_delete` makes SQLite zero what it deletes, and an erasure
// truncates the write-ahead log, so an erased user's entries leave no bytes in the files.

interface Row {
  id: number;
  at: string;
  channel: string;
  delivery_id: string;
  mid: string;
  recipient: string;
  payload: string;
}

export const createSqliteOutbox = (o: { file: string; max: number }): OutboxStore => {
  const db = new Database(o.file);
  useWal(db);
  db.pragma('synchronous = NORMAL');
  db.pragma('secure_delete = ON');
  // Immediate: the threads that open this file at once (delivery's, the HTTP threads') take turns
  // instead of both adding the column, or failing to upgrade a read to a write.
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, channel TEXT NOT NULL, delivery_id TEXT NOT NULL UNIQUE,
      mid TEXT NOT NULL, recipient TEXT NOT NULL, payload TEXT NOT NULL)`);
    // Files from before erasure have no uid column: their older entries cannot be found by user.
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(outbox)').all();
    if (!columns.some((c) => c.name === 'uid')) db.exec('ALTER TABLE outbox ADD COLUMN uid TEXT');
    db.exec('CREATE INDEX IF NOT EXISTS outbox_mid ON outbox(mid)');
    db.exec('CREATE INDEX IF NOT EXISTS outbox_uid ON outbox(uid) WHERE uid IS NOT NULL');
  }).immediate();
  const checkpoints = createSqliteCheckpoints(db);
  const insert = db.prepare(
    'INSERT OR IGNORE INTO outbox (at, channel, delivery_id, mid, recipient, payload, uid) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const eraseRows = db.prepare<[string]>('DELETE FROM outbox WHERE uid = ?');
  const byDelivery = db.prepare<[string], { id: number }>('SELECT id FROM outbox WHERE delivery_id = ?');
  const trim = db.prepare('DELETE FROM outbox WHERE id <= ?');
  const recordAll = db.transaction((entries: readonly OutboxRecord[]): number[] => {
    const ids = entries.map((e) => {
      const r = insert.run(e.at, e.channel, e.deliveryId, e.mid, e.to, JSON.stringify(e.payload), e.uid ?? null);
      return r.changes > 0 ? Number(r.lastInsertRowid) : (byDelivery.get(e.deliveryId)?.id ?? 0);
    });
    const newest = Math.max(0, ...ids);
    if (newest > o.max) trim.run(newest - o.max);
    return ids;
  });
  const toEntry = (r: Row): OutboxEntry => ({
    id: r.id,
    at: r.at,
    channel: r.channel as ChannelKind,
    deliveryId: r.delivery_id,
    mid: r.mid,
    to: r.recipient,
    payload: JSON.parse(r.payload) as JsonValue,
  });
  return {
    checkpoints,
    eraseUser: (uid) => {
      const n = eraseRows.run(uid).changes;
      // Outside any transaction (the follower's commit runs after): the WAL's copies of the
      // deleted pages go, and the file is left with the zeroed pages.
      if (n > 0) db.pragma('wal_checkpoint(TRUNCATE)');
      return Promise.resolve(n);
    },
    record: (entries) => Promise.resolve(entries.length === 0 ? [] : recordAll(entries)),
    page: (q) => {
      const where = [
        'id < ?',
        ...(q.channel !== undefined ? ['channel = ?'] : []),
        ...(q.mid !== undefined ? ['mid = ?'] : []),
      ];
      const args = [
        q.before ?? Number.MAX_SAFE_INTEGER,
        ...(q.channel !== undefined ? [q.channel] : []),
        ...(q.mid !== undefined ? [q.mid] : []),
        q.limit + 1,
      ];
      const rows = db
        .prepare<unknown[], Row>(`SELECT * FROM outbox WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
        .all(...args);
      const entries = rows.slice(0, q.limit).map(toEntry);
      const last = entries[entries.length - 1];
      return Promise.resolve({ entries, next: rows.length > q.limit && last !== undefined ? last.id : null });
    },
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
};
