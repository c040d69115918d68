import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../schema/events.js';
import type { ImportLineError } from '../../schema/import-events.js';
import type { MessageId, UserId } from '../../schema/ids.js';
import type { H } from './readmodels.contract.js';

// userImport: a user import's recorded parts (UsersImported) summed per import id, on every read
// store. A part is known by (import id, first line): a retried part counts once, its first
// record wins; the first 100 errors are kept in line order over all parts.
const part = (
  id: string,
  firstLine: number,
  c: { lines: number; written?: number; unchanged?: number; errorLines?: readonly number[] },
): DomainEvent => {
  const errorLines = c.errorLines ?? [];
  const firstErrors: ImportLineError[] = errorLines
    .slice(0, 100)
    .map((line) => ({ line, field: 'email', msg: 'email must look like name@example.org' }));
  return {
    type: 'UsersImported',
    data: {
      id: id as MessageId,
      firstLine,
      linesRead: c.lines,
      usersWritten: c.written ?? 0,
      unchanged: c.unchanged ?? 0,
      errors: errorLines.length,
      firstErrors,
      by: 'root' as UserId,
    },
  };
};
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

export const importCases = (h: H): void => {
  describe('userImport', () => {
    it("sums an import's parts, whatever their order, and keeps imports apart", async () => {
      await h().put(
        part('imp1', 101, { lines: 100, written: 90, unchanged: 8, errorLines: [150, 199] }),
        part('imp2', 1, { lines: 7, written: 7 }),
        part('imp1', 1, { lines: 100, written: 99, errorLines: [3] }),
      );
      expect(await h().models.userImport('imp1')).toMatchObject({
        id: 'imp1',
        parts: 2,
        linesRead: 200,
        usersWritten: 189,
        unchanged: 8,
        errors: 3,
        firstErrors: [{ line: 3 }, { line: 150 }, { line: 199 }],
      });
      expect(await h().models.userImport('imp2')).toMatchObject({ parts: 1, linesRead: 7, usersWritten: 7 });
      expect(await h().models.userImport('imp3')).toBeUndefined();
    });

    it('a retried part (same id and first line) counts once, as first recorded', async () => {
      await h().put(part('imp1', 1, { lines: 10, written: 10 }), part('imp1', 11, { lines: 5, written: 5 }));
      await h().put(part('imp1', 1, { lines: 10, unchanged: 10 }));
      expect(await h().models.userImport('imp1')).toMatchObject({
        parts: 2,
        linesRead: 15,
        usersWritten: 15,
        unchanged: 0,
      });
    });

    it('keeps the first 100 errors in line order over all parts', async () => {
      await h().put(
        part('imp1', 1001, { lines: 1000, errorLines: range(1001, 150) }),
        part('imp1', 1, { lines: 1000, errorLines: range(901, 60) }),
      );
      const got = await h().models.userImport('imp1');
      expect(got?.errors).toBe(210);
      expect(got?.firstErrors.map((e) => e.line)).toEqual([...range(901, 60), ...range(1001, 40)]);
    });
  });
};
