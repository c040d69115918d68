import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileForNode, REPO } from './fixtures/compile.js';

// An embedded node opens several SQLite files from several threads at the same moment:
// reactors.db and outbox.db from delivery's two threads (MSGXC_REACTORS_THREAD=split), the
// idempotency file from every HTTP thread, read models from the projection worker and the
// HTTP threads. A fresh file's switch to WAL and a deferred schema transaction both failed
// the loser with SQLITE_BUSY at once (no busy wait): a CI run's node "failed to start". Here
// threads open a fresh file at once, round after round; every open must succeed.
const fixture = 'test/integration/fixtures/open-at-once.ts';
const ROUNDS = 25;
const THREADS = 3;

describe('SQLite files opened by several threads at once', () => {
  const buildDir = join(REPO, 'test/.tmp', `open-at-once-${String(process.pid)}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'msgxc-open-at-once-'));
  let script = '';

  beforeAll(() => {
    mkdirSync(buildDir, { recursive: true });
    script = compileForNode([fixture], buildDir)(fixture);
  }, 120_000);
  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  const round = async (kind: string, i: number): Promise<string[]> => {
    const file = join(dataDir, `${kind}-${String(i)}.db`);
    const gate = new SharedArrayBuffer(4);
    const workers = Array.from(
      { length: THREADS },
      () => new Worker(script, { workerData: { file, kind, gate, threads: THREADS } }),
    );
    const said = await Promise.all(
      workers.map(
        (w) =>
          new Promise<string>((resolve) => {
            w.once('message', (m: string) => {
              resolve(m);
            });
            w.once('error', (e) => {
              resolve(`thread error: ${String(e)}`);
            });
          }),
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));
    return said.filter((s) => s !== 'ok').map((s) => `round ${String(i)}: ${s}`);
  };

  it.each(['delivery-state', 'outbox', 'idempotency', 'read-model'])(
    '%s: every thread opens it',
    async (kind) => {
      const failed: string[] = [];
      for (let i = 0; i < ROUNDS; i++) failed.push(...(await round(kind, i)));
      expect(failed).toEqual([]);
    },
    120_000,
  );
});
