import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openProjectionDb, sqliteGenerations } from '../../adapters/checkpoint/sqlite-generations.js';
import { erasing, erasingInTransaction } from '../../adapters/sqlite/erasure.js';

// adapters/sqlite/erasure.ts on real files: a batch that erases zeroes what it removes and
// truncates the WAL; a reader of another connection in the way delays the truncation, which
// is tried again until it succeeds (docs/gdpr.md, the residual window).
const SECRET = 'the-erased-text-qqzz';

describe('erasure of a projection file', () => {
  const dirs: string[] = [];
  const open: Database[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const file = (): { path: string; db: Database } => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-erasure-'));
    dirs.push(dir);
    const path = join(dir, 'read.db');
    const db = openProjectionDb(path);
    open.push(db);
    db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    const put = db.prepare<[number, string]>('INSERT INTO m (id, text) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 200; i += 1) put.run(i, `${i === 7 ? SECRET : 'other text'} ${'x'.repeat(300)}`);
    })();
    return { path, db };
  };
  const holds = (path: string): string[] =>
    ['', '-wal'].filter((s) => existsSync(path + s) && readFileSync(path + s).includes(Buffer.from(SECRET)));
  const walBytes = (path: string): number => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
  const until = async (what: string, ok: () => boolean, ms = 5_000): Promise<void> => {
    for (const deadline = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 20)))
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  };

  it('blanks the text and truncates the WAL: no byte left in the file or its WAL', () => {
    const { path, db } = file();
    db.pragma('wal_checkpoint(PASSIVE)'); // the text in the file and in the WAL, as in the field
    expect(holds(path)).toEqual(['', '-wal']);
    erasing(db, () => db.prepare('UPDATE m SET text = ? WHERE id = 7').run('[erased]'));
    expect(walBytes(path)).toBe(0);
    expect(holds(path)).toEqual([]);
  });

  it('a long text deleted by an ordinary batch, before the erasure, is not left on the freelist', () => {
    const { path, db } = file();
    // Longer than a page: its overflow pages go to the freelist when the row goes (a retraction,
    // an inbox deletion), which secure_delete = FAST would leave as they were.
    db.prepare<[number, string]>('INSERT INTO m (id, text) VALUES (?, ?)').run(1000, `${SECRET} `.repeat(600));
    db.prepare('DELETE FROM m WHERE id = 1000').run();
    erasing(db, () => db.prepare('UPDATE m SET text = ? WHERE id = 7').run('[erased]'));
    expect(walBytes(path)).toBe(0);
    expect(holds(path)).toEqual([]);
  });

  it('a reader on an older snapshot delays the truncation, which is retried once it left', async () => {
    const { path, db } = file();
    const reader = new BetterSqlite3(path);
    open.push(reader);
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT COUNT(*) FROM m').get(); // holds its snapshot (the text) open
    const started = Date.now();
    erasing(db, () => db.prepare('UPDATE m SET text = ? WHERE id = 7').run('[erased]'));
    // The writer did not wait for the reader (its event loop is the projection's).
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(walBytes(path)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(walBytes(path)).toBeGreaterThan(0); // still in the way
    reader.prepare('COMMIT').run();
    await until('the WAL truncated', () => walBytes(path) === 0);
    expect(holds(path)).toEqual([]);
  });

  it('a WAL left behind (a process stopped before it was truncated) is truncated when the projection opens the file', () => {
    const { path, db } = file();
    const other = new BetterSqlite3(path); // what was left: a WAL with the text in its frames
    open.push(other);
    other.prepare('UPDATE m SET text = ? WHERE id = 8').run('changed');
    expect(walBytes(path)).toBeGreaterThan(0);
    expect(holds(path)).toContain('-wal');
    db.close();
    const generations = sqliteGenerations<Database>({ base: path, prepare: (d) => ({ store: d, fresh: false }) });
    open.push(generations.liveNow().db); // the projection's writer opens the file
    expect(walBytes(path)).toBe(0);
  });

  it('inside a transaction another layer commits: truncated once it committed', async () => {
    const { path, db } = file();
    db.transaction(() => {
      erasingInTransaction(db);
      db.prepare('DELETE FROM m WHERE id = 7').run();
    })();
    await until('the WAL truncated', () => walBytes(path) === 0);
    expect(holds(path)).toEqual([]);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1); // ON, as every connection
  });
});
