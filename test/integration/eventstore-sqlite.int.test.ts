import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { eventStoreContract } from '../contract/eventstore.contract.js';
import { compileForNode, REPO } from './fixtures/compile.js';

// A fresh file per test, in its own directory so the -wal and -shm files go with it.
const fresh = (create: typeof createSqliteEventStore, writerThread: boolean) => () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-es-'));
  const store = create({ file: join(dir, 'events.db'), writerThread });
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
};

eventStoreContract('sqlite', fresh(createSqliteEventStore, false));

// The same contract with the writer thread (MSGXC_EMBEDDED_WRITER=thread). Its entry is
// loaded by URL next to the compiled store, so the store is compiled to plain JavaScript for it.
const buildDir = join(REPO, 'test/.tmp', `eventstore-sqlite-${String(process.pid)}`);
let compiled: Promise<typeof createSqliteEventStore> | undefined;
const threaded = (): Promise<typeof createSqliteEventStore> => {
  compiled ??= (async () => {
    mkdirSync(buildDir, { recursive: true });
    const out = compileForNode(
      ['adapters/eventstore/sqlite.ts', 'adapters/eventstore/sqlite-writer-thread.ts'],
      buildDir,
    );
    const m = (await import(pathToFileURL(out('adapters/eventstore/sqlite.ts')).href)) as {
      createSqliteEventStore: typeof createSqliteEventStore;
    };
    return m.createSqliteEventStore;
  })();
  return compiled;
};
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
});
eventStoreContract('sqlite (writer thread)', async () => fresh(await threaded(), true)());
