import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { liveFile } from '../../adapters/checkpoint/sqlite-generations.js';
import { createEmbeddedSearchIndex, openSearchDb } from '../../adapters/search/embedded.js';
import { searchContract } from '../contract/search.contract.js';

// The embedded store on real SQLite files (the live generation's, and those a rebuild puts
// beside it). Writes are broken with a trigger that makes SQLite itself abort the batch's
// transaction, created in the live generation's file through a second connection.
searchContract('embedded (SQLite + FTS5)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-search-'));
  const file = join(dir, 'search.db');
  const index = createEmbeddedSearchIndex({ file });
  const onLive = (f: (db: Database) => void): void => {
    const db = openSearchDb(liveFile(file));
    try {
      f(db);
    } finally {
      db.close();
    }
  };
  return Promise.resolve({
    index,
    breakWrites: () => {
      onLive((db) =>
        db.exec(
          `CREATE TRIGGER search_test_refuse BEFORE INSERT ON search_messages BEGIN SELECT RAISE(ABORT, 'writes refused by the test'); END`,
        ),
      );
      return Promise.resolve();
    },
    healWrites: () => {
      onLive((db) => db.exec('DROP TRIGGER IF EXISTS search_test_refuse'));
      return Promise.resolve();
    },
    cleanup: async () => {
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});
