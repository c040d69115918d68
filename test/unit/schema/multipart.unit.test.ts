import { describe, expect, it } from 'vitest';
import { multipartBoundary, multipartFields } from '../../../schema/json.js';

// POST /notify's multipart forms (seed 003's Tornado read them): text fields only, and every
// body that is not one is undefined (a 400), never a throw or an endless loop.
const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const part = (name: string, value: string, extra = ''): string =>
  `--q\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`;

describe('multipart/form-data fields', () => {
  it('reads the boundary, quoted or not', () => {
    expect(multipartBoundary('multipart/form-data; boundary=q')).toBe('q');
    expect(multipartBoundary('multipart/form-data; boundary="a b"; charset=x')).toBe('a b');
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
    expect(multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toBeUndefined();
  });
  it('reads text fields (the last of a repeated name), skips file parts, keeps CRLF inside a value', () => {
    const body = `preamble\r\n${part('a', '1')}${part('a', 'line\r\nnext é')}${part('f', 'file', '; filename="x"')}${part('__proto__', 'p')}--q--\r\nepilogue`;
    const f = multipartFields(b(body), 'q');
    expect(f).toEqual(Object.defineProperty({ a: 'line\r\nnext é' }, '__proto__', { value: 'p', enumerable: true }));
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
  });
  it('refuses what is not such a body', () => {
    for (const body of [
      '',
      'no delimiter',
      part('a', '1'), // never closed
      '--q\r\nContent-Disposition: form-data\r\n\r\nx\r\n--q--', // no name
      '--q\r\nContent-Type: text/plain\r\n\r\nx\r\n--q--', // no disposition
      '--qq\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--q--', // another boundary
      '--q\r\nContent-Disposition: form-data; name="a"\r\nx\r\n--q--', // no blank line
    ])
      expect(multipartFields(b(body), 'q'), JSON.stringify(body)).toBeUndefined();
    const latin1 = Buffer.concat([
      b('--q\r\nContent-Disposition: form-data; name="a"\r\n\r\n'),
      Buffer.from([0xe9]),
      b('\r\n--q--'),
    ]);
    expect(multipartFields(latin1, 'q')).toBeUndefined();
  });
  it('answers a large body of many parts at once', () => {
    const body = `${part('a', 'x').repeat(2000)}--q--`;
    expect(multipartFields(b(body), 'q')).toEqual({ a: 'x' });
  });
});
