import { describe, expect, it } from 'vitest';
import { matches, parseExpectation } from '../../e2e/walkthrough-match.js';

// The README walkthrough runner (test/e2e/readme-walkthrough.e2e.test.ts) checks each
// `# => ...` line with this rule; a documented `true` must be exactly `true`.
const check = (output: string, line: string): boolean => matches(output, parseExpectation(line));

describe('README walkthrough expectations', () => {
  it('a plain value is the whole output, exactly and case-sensitively', () => {
    expect(check('true\n', 'true')).toBe(true);
    for (const out of ['TRUE', 'True', 'not true', 'true\nfalse', '"true"', 'untrue', ' true', '{"ok":true}'])
      expect(check(out, 'true'), out).toBe(false);
    expect(check('{"tid":"lobby"}', '{"tid":"lobby"}')).toBe(true);
    expect(check('{"tid":"lobby","x":1}', '{"tid":"lobby"}')).toBe(false);
  });

  it('`...` marks left-out output: before (suffix), after (prefix), or both (a fragment)', () => {
    expect(check('{"code":"Forbidden","msg":"x"}', '{"code":"Forbidden"...')).toBe(true);
    expect(check('x{"code":"Forbidden"}', '{"code":"Forbidden"...')).toBe(false);
    expect(check('HTTP/1.1 200 OK\r\nX-Message-Id: 1\r\n\r\ntrue', '...X-Message-Id:...')).toBe(true);
    expect(check('HTTP/1.1 200 OK\r\nx-message-id: 1\r\n', '...X-Message-Id:...')).toBe(false);
    expect(check('all done\n', '...done')).toBe(true);
    expect(check('done already', '...done')).toBe(false);
  });

  it('refuses an expectation that is only dots', () => {
    for (const raw of ['...', '......', '', ' ... ']) expect(() => parseExpectation(raw), raw).toThrow(/needs text/);
  });
});
