import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { eventStoreContract } from '../contract/eventstore.contract.js';

// A fresh file per test, in its own directory so the -wal and -shm files go with it.
eventStoreContract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-es-'));
  const store = createSqliteEventStore({ file: join(dir, 'events.db') });
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});
