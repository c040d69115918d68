import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedSearchIndex, openSearchDb } from '../../adapters/search/embedded.js';
import { searchContract } from '../contract/search.contract.js';

// The embedded store on a real SQLite file. Writes are broken with a trigger that makes
// SQLite itself abort the batch's transaction.
searchContract('embedded (SQLite + FTS5)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-search-'));
  const db = openSearchDb(join(dir, 'search.db'));
  const index = createEmbeddedSearchIndex({ db });
  return Promise.resolve({
    index,
    breakWrites: () => {
      db.exec(
        `CREATE TRIGGER search_test_refuse BEFORE INSERT ON search_messages BEGIN SELECT RAISE(ABORT, 'writes refused by the test'); END`,
      );
      return Promise.resolve();
    },
    healWrites: () => {
      db.exec('DROP TRIGGER IF EXISTS search_test_refuse');
      return Promise.resolve();
    },
    cleanup: async () => {
      await index.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});
