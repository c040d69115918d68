import { describe, expect, it } from 'vitest';
import { decodeImportLine, lineCount, lineText, ndjsonLines } from '../../../schema/user-import.js';

// The import route's lines (schema/user-import.ts): split as bytes, decoded one by one, so that
// a line of invalid UTF-8 is refused alone instead of being stored with U+FFFD in its values.
const texts = (body: Buffer): (string | undefined)[] => {
  const out = [...ndjsonLines(body)].map(lineText);
  expect(lineCount(body)).toBe(out.length);
  return out;
};

describe('NDJSON lines of an import body', () => {
  it('splits at LF, keeps a last line without its LF, and drops a CR before the LF', () => {
    expect(texts(Buffer.from('{"uid":"a"}\r\n\r\n{"uid":"b"}'))).toEqual(['{"uid":"a"}', '', '{"uid":"b"}']);
    expect(texts(Buffer.from('{"uid":"a"}\n'))).toEqual(['{"uid":"a"}']);
    expect(texts(Buffer.from('\n'))).toEqual(['']);
    expect(texts(Buffer.alloc(0))).toEqual([]);
  });

  it('drops a byte order mark at the start of the file (a file saved "UTF-8 with BOM")', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"uid":"a"}\n{"uid":"b"}\n')]);
    expect(texts(body)).toEqual(['{"uid":"a"}', '{"uid":"b"}']);
    expect(JSON.parse(texts(body)[0] ?? '')).toEqual({ uid: 'a' });
  });

  it('gives undefined for a line that is not UTF-8, and the lines around it as they are', () => {
    const body = Buffer.concat([
      Buffer.from('{"uid":"a","attributes":{"n":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}}\n{"uid":"b","attributes":{"n":"café"}}\n{"uid":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]);
    expect(texts(body)).toEqual([undefined, '{"uid":"b","attributes":{"n":"café"}}', undefined]);
  });
});

describe('an import line with a lone UTF-16 surrogate', () => {
  // `\ud800` is valid JSON but no character: the user directory (SQLite, Elasticsearch) would
  // store something else, so the line is an error naming where, as a request body is a 400.
  it('is an error naming the field, in a value or a key; surrogate pairs are characters', () => {
    const decode = (line: string) => decodeImportLine(JSON.parse(line));
    expect(decode('{"uid":"a","email":"x\\ud800@example.org"}')).toMatchObject({
      _tag: 'Left',
      left: { field: 'email', msg: expect.stringMatching(/lone UTF-16 surrogate/) as unknown },
    });
    expect(decode('{"uid":"a","tags":["ok","\\udfff"]}')).toMatchObject({ left: { field: 'tags.1' } });
    expect(decode('{"uid":"a","attributes":{"k\\udc00":1}}')).toMatchObject({
      left: { field: 'attributes', msg: expect.stringMatching(/key/) as unknown },
    });
    expect(decode('{"uid":"a","attributes":{"plan":"\\ud83e\\udd92"}}')).toMatchObject({
      _tag: 'Right',
      right: { attributes: { plan: '\u{1F992}' } },
    });
  });
});
