import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROADCAST_SQL, DIRECT_SQL, THREAD_SQL } from '../../projections/inbox/sources.js';
import { THREAD_PAGE_SQL } from '../../projections/messages/queries.js';
import { T0, harness } from '../unit/projections/fixtures.js';
import type { Harness } from '../unit/projections/fixtures.js';

// SQLite only: the plan of each inbox source. What the inbox answers is in the read-model
// contract (test/contract/readmodels-inbox.contract.ts), run by readmodels-sqlite.int.test.ts.
let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  await h.close();
});

describe('inbox sources on SQLite', () => {
  it('each source is an index-ordered scan (no sort of the whole source)', () => {
    for (const sql of [DIRECT_SQL, BROADCAST_SQL, THREAD_SQL, THREAD_PAGE_SQL]) {
      const plan = h.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({
        uid: 'ann',
        tid: 't1',
        eff: T0,
        mid: 'x',
        limit: 10,
        unseen: 0,
        gmark: '',
        tmark: '',
        known: 0,
        from: 0,
        to: 10,
      }) as { detail: string }[];
      const text = plan.map((p) => p.detail).join('\n');
      expect(text).not.toMatch(/TEMP B-TREE/);
      expect(text).toMatch(/USING (INDEX|PRIMARY KEY|COVERING INDEX)/);
      expect(text).not.toMatch(/SCAN messages$/m);
    }
  });
});
