import { describe, expect, it } from 'vitest';
import {
  addError,
  createRunningImports,
  fieldName,
  importAnswer,
  jsonErrorText,
} from '../../../api/routes/import-progress.js';
import { sumParts } from '../../../projections/user-imports/queries.js';
import { parseJson } from '../../../schema/json.js';
import type { UserImportView } from '../../../ports/read-models.js';

// What the import route keeps of a line error (it goes to the log unsealed: no value of the
// line may be in it), and how an answer adds this process's running parts to the recorded ones.
const detailOf = (text: string): string => {
  const r = parseJson(text, 32);
  if (r.ok) throw new Error('expected a parse error');
  return r.detail;
};

describe('import line errors', () => {
  it('keep the wording of a JSON error, never the quoted line', () => {
    for (const text of ['{"uid": "ann@example.org" x}', '{"uid": secret-value}', '"ann@example.org', '{"a":']) {
      const msg = jsonErrorText(detailOf(text));
      expect(msg).toMatch(/^not JSON/);
      expect(msg).not.toContain('example.org');
      expect(msg).not.toContain('secret');
      expect(msg).not.toContain('"');
    }
  });

  it('name an unknown field only when its key reads as a field name', () => {
    expect(fieldName('colour')).toBe('colour');
    expect(fieldName('tags[3]')).toBe('tags[3]');
    expect(fieldName('ann@example.org')).toBe('(unknown field)');
    expect(fieldName('x'.repeat(65))).toBe('(unknown field)');
  });

  it('keep the lowest 100 lines, whatever order the lines finish in', () => {
    const p = createRunningImports().start('i', 1, new Date(0));
    for (const line of [...Array.from({ length: 150 }, (_, i) => 200 - i), 3])
      addError(p, { line, field: '', msg: 'x' });
    expect(p.errors).toBe(151);
    expect(p.firstErrors.map((e) => e.line).sort((a, b) => a - b)).toEqual([
      3,
      ...Array.from({ length: 99 }, (_, i) => 51 + i),
    ]);
  });
});

describe('importAnswer', () => {
  const recorded: UserImportView = {
    id: 'i',
    parts: 1,
    linesRead: 10,
    usersWritten: 9,
    unchanged: 0,
    errors: 1,
    firstErrors: [{ line: 5, field: 'email', msg: 'm' }],
    startedAt: '2026-01-01T00:00:01.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
  };

  it('adds the parts running here to the recorded ones, and is not done while one runs', () => {
    const running = createRunningImports();
    const p = running.start('i', 11, new Date('2026-01-01T00:00:00.000Z'));
    p.linesRead = 4;
    p.usersWritten = 3;
    addError(p, { line: 12, field: '', msg: 'n' });
    expect(importAnswer('i', recorded, running.parts('i'))).toMatchObject({
      linesRead: 14,
      usersWritten: 12,
      errors: 2,
      firstErrors: [{ line: 5 }, { line: 12 }],
      done: false,
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    running.finish('i', p);
    expect(importAnswer('i', recorded, running.parts('i'))).toMatchObject({ linesRead: 10, done: true });
    expect(importAnswer('other', undefined, running.parts('other'))).toBeUndefined();
  });
});

// The recorded parts' times: startedAt is when the first part began, updatedAt when the last was
// recorded. Each part was known by one time (its event's occurredAt, the request's arrival), so an
// import's updatedAt read back as a part's start once that part was recorded.
describe('sumParts', () => {
  const part = { linesRead: 1, usersWritten: 1, unchanged: 0, errors: 0, firstErrors: [] };
  it('startedAt is the earliest start, updatedAt the latest record', () => {
    const a = sumParts('i', [
      { ...part, startedAt: '2026-01-01T00:00:00.000Z', recordedAt: '2026-01-01T00:00:05.000Z' },
      { ...part, startedAt: '2026-01-01T00:00:06.000Z', recordedAt: '2026-01-01T00:00:09.000Z' },
    ]);
    expect(a).toMatchObject({ startedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:09.000Z' });
  });
  it('a part recorded before its start was recorded: its recorded time stands for both', () => {
    const a = sumParts('i', [
      { ...part, recordedAt: '2026-01-01T00:00:01.000Z' },
      { ...part, startedAt: '2026-01-01T00:00:02.000Z', recordedAt: '2026-01-01T00:00:04.000Z' },
    ]);
    expect(a).toMatchObject({ startedAt: '2026-01-01T00:00:01.000Z', updatedAt: '2026-01-01T00:00:04.000Z' });
  });
});
