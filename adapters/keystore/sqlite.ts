import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { DataKey, KeyStore } from '../../ports/keystore.js';

// Data keys in a SQLite file of the data directory (keys.db). secure_delete overwrites a
// destroyed key's bytes in the file, and the WAL is truncated after each destroy so no copy
// of the key stays in it; copies made before (backups of the data directory) are another
// matter (docs/gdpr.md). Several connections (the node and its projection worker) may share
// the file: a key is created under an immediate transaction, so one owner gets one key.

interface KeyRow {
  kid: string;
  key: Buffer;
}

export const createSqliteKeyStore = (file: string): KeyStore => {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('secure_delete = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS data_keys (
    owner TEXT NOT NULL, kid TEXT NOT NULL, key BLOB NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (owner, kid)) WITHOUT ROWID`);
  const current = db.prepare<[string], KeyRow>('SELECT kid, key FROM data_keys WHERE owner = ? LIMIT 1');
  const one = db.prepare<[string, string], KeyRow>('SELECT kid, key FROM data_keys WHERE owner = ? AND kid = ?');
  const insert = db.prepare<[string, string, Buffer, string]>(
    'INSERT INTO data_keys (owner, kid, key, created_at) VALUES (?, ?, ?, ?)',
  );
  const remove = db.prepare<[string]>('DELETE FROM data_keys WHERE owner = ?');
  // Keys are created in batches: every owner asked for in one turn of the event loop gets its
  // key in one transaction, so a burst of sends to new people costs one fsync, not one each
  // (the commit runs on the event loop: issue 15 found it 15% of the send path, one per send).
  const createAll = db
    .transaction((owners: readonly string[]): KeyRow[] =>
      owners.map((owner) => {
        const there = current.get(owner);
        if (there !== undefined) return there;
        const row = { kid: randomBytes(12).toString('base64url'), key: randomBytes(32) };
        insert.run(owner, row.kid, row.key, new Date().toISOString());
        return row;
      }),
    )
    .immediate.bind(null);
  const asKey = (row: KeyRow): DataKey => ({ kid: row.kid, key: new Uint8Array(row.key) });
  const waiting = new Map<string, { resolve: (k: DataKey) => void; reject: (e: unknown) => void }[]>();
  const createWaiting = (): void => {
    const batch = [...waiting];
    waiting.clear();
    try {
      const rows = createAll(batch.map(([owner]) => owner));
      batch.forEach(([, ws], i) => {
        const row = rows[i];
        if (row !== undefined) for (const w of ws) w.resolve(asKey(row));
      });
    } catch (e) {
      for (const [, ws] of batch) for (const w of ws) w.reject(e);
    }
  };

  return {
    keyFor: (owner) => {
      const row = current.get(owner);
      if (row !== undefined) return Promise.resolve(asKey(row));
      return new Promise<DataKey>((resolve, reject) => {
        if (waiting.size === 0) setImmediate(createWaiting);
        const ws = waiting.get(owner);
        if (ws === undefined) waiting.set(owner, [{ resolve, reject }]);
        else ws.push({ resolve, reject });
      });
    },
    find: (owner, kid) => {
      const row = one.get(owner, kid);
      return Promise.resolve(row === undefined ? undefined : new Uint8Array(row.key));
    },
    destroy: (owner) => {
      const n = remove.run(owner).changes;
      if (n > 0) db.pragma('wal_checkpoint(TRUNCATE)');
      return Promise.resolve(n);
    },
    close: () => {
      if (waiting.size > 0) createWaiting();
      db.close();
      return Promise.resolve();
    },
  };
};
