import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { auditLogContract } from '../contract/audit-log.contract.js';

// The auditors' log on the embedded engine; tampering is done with the sqlite3 shell on the
// file while the store has it open, as someone with access to the data directory could.
const sql = (file: string, statement: string): void => {
  execFileSync('sqlite3', [file, statement], { stdio: ['ignore', 'ignore', 'inherit'] });
};

auditLogContract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-audit-'));
  const file = join(dir, 'events.db');
  const store = createSqliteEventStore({ file });
  return Promise.resolve({
    store,
    tamper: {
      alter: (e) => {
        sql(file, `UPDATE events SET data = json_set(data, '$.altered', 1) WHERE position = ${String(e.position)}`);
        return Promise.resolve();
      },
      remove: (e) => {
        sql(file, `DELETE FROM events WHERE position = ${String(e.position)}`);
        return Promise.resolve();
      },
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});
