import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { threadError, threadErrorText } from '../../../app/thread-error.js';

// A worker's failure crosses to its parent by structured clone (as its 'error' event does).
const sqliteError = (): unknown => {
  try {
    new BetterSqlite3(':memory:').prepare('SELEC nothing');
  } catch (e) {
    return e;
  }
  throw new Error('the statement was expected to fail');
};

describe('errors thrown in a worker thread', () => {
  it('a SqliteError arrives without its text unless made a plain Error first', () => {
    const e = sqliteError();
    expect(threadErrorText(structuredClone(e))).not.toContain('syntax error');
    const sent = structuredClone(threadError(e));
    expect(sent).toBeInstanceOf(Error);
    expect(threadErrorText(sent)).toMatch(/syntax error.*\(SQLITE_ERROR\)/);
  });

  it('keeps a real Error as it is, and describes what is not an object', () => {
    const e = new TypeError('bad');
    expect(threadError(e)).toBe(e);
    expect(threadError('plain text').message).toBe("'plain text'");
    expect(threadErrorText({ reason: 'x' })).toBe("{ reason: 'x' }");
  });
});
