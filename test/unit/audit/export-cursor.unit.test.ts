import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../../adapters/eventstore/audit-log.js';
import { chained } from '../../../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { exportLog } from '../../../app/cli/audit-export.js';
import { numberedEvent } from './numbered-event.js';

// `msgxc audit export --cursor` resumed from a cursor it did not write for this output and this
// log: a cursor from another (longer) log exported nothing and said done; one whose byte count
// cut a line, or exceeded the output, wrote the rest after a cut line or a hole; a cursor that
// was not JSON failed with the parser's message naming no file. Each is now refused, naming it.
const dir = mkdtempSync(join(tmpdir(), 'msgxc-export-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
// `from`: the first event's number (events of real logs differ at least by their ids).
const logOf = async (n: number, from = 0) => {
  const store = chained(createMemoryEventStore());
  for (let i = from; i < from + n; i += 1) await store.append(`s-${String(i % 3)}`, [numberedEvent(i)], 'any');
  return { audit: auditLog(store), store };
};
const quiet = new PassThrough() as unknown as NodeJS.WriteStream;
const run = async (log: Awaited<ReturnType<typeof logOf>>, name: string) =>
  exportLog(
    log.audit,
    log.store,
    { format: 'jsonl', filter: {}, out: join(dir, `${name}.jsonl`), cursor: join(dir, `${name}.cursor`) },
    quiet,
  );
const cursorOf = (name: string) =>
  JSON.parse(readFileSync(join(dir, `${name}.cursor`), 'utf8')) as Record<string, unknown>;

describe('export --cursor', () => {
  it('resumes its own export: each event once', async () => {
    const log = await logOf(5);
    expect(await run(log, 'own')).toEqual({ _tag: 'Right', right: 5 });
    await log.store.append('s-9', [numberedEvent(9)], 'any');
    expect(await run(log, 'own')).toEqual({ _tag: 'Right', right: 6 });
    expect(
      readFileSync(join(dir, 'own.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(6);
  });

  it('refuses a cursor written on another log, longer or of the same length', async () => {
    const long = await logOf(8);
    expect(isRight(await run(long, 'other'))).toBe(true);
    const saved = cursorOf('other');
    for (const log of [await logOf(3, 100), await logOf(8, 100)]) {
      writeFileSync(join(dir, 'other.cursor'), JSON.stringify(saved));
      const r = await run(log, 'other');
      expect(isLeft(r) && r.left).toMatch(/^--cursor: .*other\.cursor was written on another log/);
    }
  });

  it.each([
    [
      'a size past the output',
      (c: Record<string, unknown>) => ({ ...c, bytes: 10_000_000 }),
      /holds 10000000 bytes, but it holds/,
    ],
    ['a size that cuts a line', (c: Record<string, unknown>) => ({ ...c, bytes: 7 }), /not the end of a line/],
    ['a negative position', (c: Record<string, unknown>) => ({ ...c, after: -1 }), /is not an export cursor/],
  ])('refuses %s, naming the cursor', async (name, edit, why) => {
    const log = await logOf(4);
    const tag = `bad-${name.replaceAll(' ', '-')}`;
    expect(isRight(await run(log, tag))).toBe(true);
    const before = readFileSync(join(dir, `${tag}.jsonl`), 'utf8');
    writeFileSync(join(dir, `${tag}.cursor`), JSON.stringify(edit(cursorOf(tag))));
    const r = await run(log, tag);
    expect(isLeft(r) && r.left).toMatch(why);
    expect(readFileSync(join(dir, `${tag}.jsonl`), 'utf8')).toBe(before);
  });

  it('refuses a cursor file that is not JSON, naming it', async () => {
    const log = await logOf(2);
    writeFileSync(join(dir, 'garbage.cursor'), 'not json');
    const r = await run(log, 'garbage');
    expect(isLeft(r) && r.left).toMatch(/^--cursor: .*garbage\.cursor is not an export cursor/);
  });
});
