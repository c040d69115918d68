import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdempotencyStore } from '../../ports/idempotency.js';
import { createSqliteIdempotencyStore } from '../../adapters/idempotency/sqlite.js';
import { idempotencyContract } from '../contract/idempotency.contract.js';

// The file the broker keeps Idempotency-Key answers in (<data dir>/idempotency.db).
idempotencyContract(
  'sqlite',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-idem-'));
    const file = join(dir, 'idempotency.db');
    let last: IdempotencyStore = createSqliteIdempotencyStore(file);
    return Promise.resolve({
      store: last,
      reopen: () => {
        last = createSqliteIdempotencyStore(file);
        return Promise.resolve(last);
      },
      cleanup: async () => {
        await last.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
  true,
);
