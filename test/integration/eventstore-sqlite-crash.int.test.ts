import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { compileForNode, REPO } from './fixtures/compile.js';

const fixture = 'test/integration/fixtures/eventstore-crash-child.ts';
// The child is plain node (vitest cannot run in it): the fixture, the store and the writer
// thread's entry (loaded by URL, so tsc would not follow it) are compiled for it.
const WRITER_THREAD = 'adapters/eventstore/sqlite-writer-thread.ts';

interface Ack {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
}

// Resolves with every complete line the child printed before it was killed.
const runAndKill = (
  script: string,
  file: string,
  writer: string,
  killAfterAcks: number,
): Promise<{ acks: Ack[]; signal: string | null }> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, file, writer], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lines = 0;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      lines += text.split('\n').length - 1;
      if (lines >= killAfterAcks) child.kill('SIGKILL');
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        fail(new Error(`child exited with ${String(code)} before the kill:\n${err}`));
        return;
      }
      const complete = out
        .slice(0, out.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((l) => l !== '');
      const acks = complete.map((l) => {
        const [stream = '', revision = '', position = ''] = l.split(' ');
        return { stream, revision: Number(revision), position: Number(position) };
      });
      done({ acks, signal });
    });
  });

describe('SQLite event store: crash durability', () => {
  const buildDir = join(REPO, 'test/.tmp', `eventstore-crash-${String(process.pid)}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'msgxc-es-crash-'));
  let script = '';

  beforeAll(() => {
    mkdirSync(buildDir, { recursive: true });
    script = compileForNode([fixture, WRITER_THREAD], buildDir)(fixture);
  });
  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(['inline', 'thread'])(
    'keeps every acknowledged append when the process is SIGKILLed mid-burst (%s writer)',
    async (writer) => {
      const file = join(dataDir, `events-${writer}.db`);
      const { acks } = await runAndKill(script, file, writer, 3_000);
      expect(acks.length).toBeGreaterThanOrEqual(3_000);

      const store = createSqliteEventStore({ file });
      try {
        const all = await store.readAll({ limit: 1_000_000 });
        const byPosition = new Map(all.map((e) => [e.position, e]));
        const missing = acks.filter((a) => {
          const e = byPosition.get(a.position);
          return e?.stream !== a.stream || e.revision !== a.revision;
        });
        expect(missing).toEqual([]);
        // The log may hold more than was acknowledged (committed, killed before printing), never less.
        expect(all.length).toBeGreaterThanOrEqual(acks.length);
        for (let w = 0; w < 16; w++) {
          const events = await store.read(`crash-${String(w)}`);
          expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
        }
      } finally {
        await store.close();
      }
    },
  );
});
