import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';

// GDPR erasure of the embedded read models' and search's files (docs/gdpr.md): after a user is
// erased, no byte of their direct messages' text or of their device token is left in
// `read*.db` and `search*.db` (read raw, with their write-ahead logs), once the projections
// applied the erasure; and none comes back after a restart or a rebuild. Only the embedded
// stack has these files (the other keeps its read models in Cassandra and Elasticsearch), so
// vitest.config.ts leaves this file out of the production project.
const ENV = { MSGXC_LOG_LEVEL: 'warn' };

interface Stats {
  head: number;
  projections: { position: number }[];
  rebuild: { running: boolean; finishedAt?: string };
}

describe('erasure of the read models’ and search’s files', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  const run = Date.now().toString(36);
  const bob = `bob-${run}`;
  const secrets = {
    text: `secret direct to bob zqxword${run}`,
    // A word of the text alone: the search index keeps words, not the sentence.
    word: `zqxword${run}`,
    token: `devtoken-of-bob-${run}-0123456789abcdef`,
  };
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const stats = async (): Promise<Stats> =>
    (await call(s, 'GET', '/api/v2/admin/stats', { token: admin })).body as Stats;
  const caughtUp = async (): Promise<void> => {
    const { head } = await stats();
    await waitFor('the projections caught up', async () =>
      (await stats()).projections.every((p) => p.position >= head) ? true : undefined,
    );
  };
  /** The read models' and search's files (every generation, WAL and shared memory) holding `needle`. */
  const holding = (needle: string): string[] =>
    readdirSync(dataDir)
      .filter((f) => /^(read|search)(\.g\d+)?\.db(-wal|-shm|-journal)?$/.test(f))
      .filter((f) => readFileSync(join(dataDir, f)).includes(Buffer.from(needle)));
  const leftovers = (): Record<string, string[]> =>
    Object.fromEntries(Object.entries(secrets).map(([what, needle]) => [what, holding(needle)]));
  const none = { text: [], word: [], token: [] };

  it('leaves none of an erased user’s text or device token in read*.db and search*.db', async () => {
    const bobToken = await token(bob);
    for (let i = 0; i < 2; i += 1) {
      const r = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: bob, msg: secrets.text } });
      expect(r.status, r.text).toBe(200);
    }
    const enlisted = await call(s, 'POST', '/api/v2/enlist', {
      token: bobToken,
      body: { os: 'android', token: secrets.token },
    });
    expect(enlisted.status, enlisted.text).toBeLessThan(300);
    await caughtUp();
    // The needles are found where they are (so their absence below means something).
    const before = leftovers();
    expect(before['text']?.length, JSON.stringify(before)).toBeGreaterThan(0);
    expect(before['word']?.length, JSON.stringify(before)).toBeGreaterThan(0);
    expect(before['token']?.length, JSON.stringify(before)).toBeGreaterThan(0);

    const erased = await call(s, 'POST', `/api/v2/users/${bob}/erase`, { token: admin });
    expect(erased.status, erased.text).toBe(200);
    await caughtUp();
    // The WAL is truncated after the erasure's batch committed, or a little later when a
    // reader was in the way (adapters/sqlite/erasure.ts retries).
    await waitFor(
      'no trace of bob in the files',
      () => {
        const left = leftovers();
        return Object.values(left).every((f) => f.length === 0) ? true : undefined;
      },
      5_000,
    ).catch(() => undefined);
    expect(leftovers()).toEqual(none);
  });

  it('none after a restart, nor after a rebuild of every projection', async () => {
    await s.stop();
    s = await startServer({ dataDir, env: ENV });
    await caughtUp();
    expect(leftovers()).toEqual(none);
    const finished = (await stats()).rebuild.finishedAt;
    expect((await call(s, 'POST', '/api/v2/admin/rebuild', { token: admin })).status).toBe(202);
    await waitFor(
      'the rebuild finished',
      async () => {
        const st = await stats();
        return !st.rebuild.running && st.rebuild.finishedAt !== undefined && st.rebuild.finishedAt !== finished
          ? true
          : undefined;
      },
      60_000,
    );
    await caughtUp();
    expect(leftovers()).toEqual(none);
  });
});
