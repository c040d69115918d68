import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../adapters/clock/clock.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { createCommands } from '../../commands/index.js';
import { openSqliteDeliveryState } from '../../adapters/delivery-state/sqlite.js';
import { startReactors } from '../../delivery/runner.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { T0, ctx, expandRecorded, ok, recordingChannel, subscription } from './triage-harness.js';

// kill -9 of a process running the reactors in the middle of a dispatch; the reactors then
// start again (here, in the test process) on the same files. Every step is delivered, none
// that had its outcome in the log is delivered again, and none more than twice.
const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const fixture = join(repo, 'test/integration/fixtures/triage-kill-child.ts');
const buildDir = join(repo, 'test/.tmp', `triage-kill-${String(process.pid)}`);
let script = '';
let dir = '';

// The child is plain node, so the fixture is compiled with the project's settings into
// test/.tmp (inside the repository, so node_modules resolves), as the event store crash test does.
beforeAll(() => {
  mkdirSync(buildDir, { recursive: true });
  const tsconfig = join(buildDir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(repo, 'tsconfig.json'),
      compilerOptions: { noEmit: false, outDir: buildDir, rootDir: repo, sourceMap: false },
      include: [],
      files: [fixture],
    }),
  );
  const r = spawnSync(
    process.execPath,
    [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', tsconfig],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}${r.stderr}`);
  script = join(buildDir, 'test/integration/fixtures/triage-kill-child.js');
  dir = mkdtempSync(join(tmpdir(), 'msgxc-triage-kill-'));
}, 120_000);
afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

const runAndKill = (afterLines: number): Promise<string[]> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, dir, String(T0.getTime())], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length - 1 >= afterLines) child.kill('SIGKILL');
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        fail(new Error(`child exited with ${String(code)} before the kill:\n${err}`));
        return;
      }
      done(
        out
          .slice(0, out.lastIndexOf('\n') + 1)
          .split('\n')
          .filter((l) => l !== ''),
      );
    });
  });

describe('kill -9 in the middle of a dispatch', () => {
  it('each step happens after the restart, the done ones not again, none more than twice', async () => {
    const file = join(dir, 'events.db');
    const users = Array.from({ length: 200 }, (_, i) => asUserId(`u${String(i).padStart(3, '0')}`));
    {
      const store = createSqliteEventStore({ file });
      const commands = createCommands({ store, ids: createIdGenerator() });
      for (const u of users) await ok(commands.enlist(ctx(u, T0), subscription(u)));
      await ok(
        commands.multicast(
          ctx('admin', T0, true),
          asMessageId(createIdGenerator(() => T0.getTime()).messageId()),
          users,
          { msg: 'hi', opts: {} },
        ),
      );
      await store.close();
    }
    const before = (await runAndKill(60)).map((l) => l.split(' ')[0] ?? '');
    expect(before.length).toBeGreaterThanOrEqual(60);

    const store = createSqliteEventStore({ file });
    const doneBefore = new Set(
      (await store.readAll({ after: 0, limit: 100_000 }))
        .flatMap(expandRecorded)
        .filter((e) => e.type === 'DeliverySucceeded')
        .map((e) => (e.data as { key: string }).key),
    );
    const webpush = recordingChannel('webpush');
    const state = openSqliteDeliveryState(join(dir, 'reactors.db'));
    const reactors = startReactors({
      store,
      state,
      revokeDevice: createCommands({ store, ids: createIdGenerator() }).revokeDevice,
      clock: fixedClock(T0),
      channels: { webpush },
      pollMs: 60_000,
      presence: { isOnline: () => false, sessions: () => 0 },
    });
    await reactors.settle(60_000);
    await reactors.stop();
    await state.close();
    const succeeded = (await store.readAll({ after: 0, limit: 100_000 }))
      .flatMap(expandRecorded)
      .filter((e) => e.type === 'DeliverySucceeded');
    await store.close();

    const after = webpush.calls.map((c) => c.id);
    expect(succeeded).toHaveLength(200);
    expect(new Set(succeeded.map((e) => (e.data as { key: string }).key)).size).toBe(200);
    expect(new Set([...before, ...after]).size).toBe(200);
    expect(after.filter((id) => doneBefore.has(id))).toEqual([]);
    expect(after).toHaveLength(200 - doneBefore.size); // every step without an outcome, in flight or not yet sent
    const times = new Map<string, number>();
    for (const id of [...before, ...after]) times.set(id, (times.get(id) ?? 0) + 1);
    expect(Math.max(...times.values())).toBeLessThanOrEqual(2);
  }, 120_000);
});
