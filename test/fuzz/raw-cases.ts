import fc from 'fast-check';
import { rawRequest } from '../e2e/raw-http.js';

// Malformed and pipelined HTTP/1.1 written to a raw socket, each with the outcome
// docs/http-edges.md documents for it (measured on uWS 20.30 and the broker):
//  answered      every request gets its answer, in order (`expect` of them)
//  framing400    one 400 BadRequestFraming with Connection: close, the connection closed
//  smuggled      framing refused with a request pipelined behind it: the connection closed,
//                nothing behind it answered (the pending 400 itself may be lost with it)
//  closed        no answer, the connection closed at once (and a command in it not committed)
//  held          no answer; uWS holds the socket until its ~10 s idle timeout, so the case
//                waits a bounded 300 ms and lets go (closed early is fine too)
//  reset         no answer; the connection reset (or closed)
//  resetOrAnswered  near uWS's header-size bound: that, or one answer
//  upgrade       101, or a JSON 4xx
//  anything      what the docs do not cover (random bytes): any answer below 500, or none
export type Documented =
  | 'answered'
  | 'framing400'
  | 'smuggled'
  | 'closed'
  | 'held'
  | 'reset'
  | 'resetOrAnswered'
  | 'upgrade'
  | 'anything';

export interface RawCase {
  readonly kind: 'raw';
  readonly template: string;
  readonly n: number;
  readonly bytes?: readonly number[];
}

export interface RawContext {
  /** A token the server has verified before (so a request can run within one read). */
  readonly token: string;
  /** A tid nobody has used, for a publish that must not be committed. */
  readonly freshTid: string;
  /** The X-Request-Id of that publish: the server logs that it abandoned it. */
  readonly requestId: string;
}

export interface Built {
  readonly payload: string;
  readonly documented: Documented;
  readonly expect?: number;
  /** A thread that must not exist once the server logged the publish abandoned. */
  readonly uncommitted?: { readonly tid: string; readonly requestId: string };
}

const ping = rawRequest('GET', '/api/v2/ping');
const body = '{"tid":"t","msg":"x"}';
const filler = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-F${i}`, 'v']));
const upgradeHeaders = (extra: Record<string, string>): Record<string, string> => ({
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
  ...extra,
});

export const TEMPLATES: Readonly<Record<string, (c: RawContext, n: number, bytes: readonly number[]) => Built>> = {
  'pipelined synchronous answers': (_c, n) => {
    const parts = [
      ping,
      rawRequest('GET', '/healthz'),
      rawRequest('GET', '/no/such/route'),
      rawRequest('GET', '/api/v2/inbox'),
    ];
    const picked = Array.from({ length: 2 + (n % 4) }, (_, i) => parts[(n + i) % parts.length] ?? ping);
    return { payload: picked.join(''), documented: 'answered', expect: picked.length };
  },
  'a command with a request pipelined behind it': (c, n) => {
    const publish = (rid: string): string =>
      rawRequest(
        'POST',
        '/api/v2/publish',
        { Authorization: `Bearer ${c.token}`, 'Content-Type': 'application/json', 'X-Request-Id': rid },
        JSON.stringify({ tid: c.freshTid, msg: 'never' }),
      );
    const behind = n % 2 === 0 ? ping : publish(`${c.requestId}-2`);
    return {
      payload: publish(c.requestId) + behind,
      documented: 'closed',
      uncommitted: { tid: c.freshTid, requestId: c.requestId },
    };
  },
  'duplicate framing headers': (c, n) => {
    const auth = { Authorization: `Bearer ${c.token}` };
    const variants: Record<string, string>[] = [
      { ...auth, 'Content-Length': String(body.length), 'content-length': String(body.length) },
      { ...auth, 'Content-Length': String(body.length), 'Content-length': '999' },
      { ...auth, Host: 'elsewhere', 'Content-Length': String(body.length) },
    ];
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const te = [
      { ...auth, 'Transfer-Encoding': 'gzip, chunked' },
      { ...auth, 'Transfer-Encoding': 'chunked', 'transfer-encoding': 'chunked' },
    ];
    const request =
      n % 5 < 3
        ? rawRequest('POST', '/api/v2/publish', variants[n % 3], body)
        : rawRequest('POST', '/api/v2/publish', te[n % 2], chunked);
    return n % 2 === 0
      ? { payload: request + ping, documented: 'smuggled' }
      : { payload: request, documented: 'framing400' };
  },
  'Content-Length with Transfer-Encoding, or a malformed Content-Length': (_c, n) => {
    const lengths = ['-1', '+2', '0x2', '2, 2', '99999999999999999999'];
    const headers =
      n % 6 === 5
        ? { 'Content-Length': '2', 'Transfer-Encoding': 'chunked' }
        : { 'Content-Length': lengths[n % 6] ?? '-1' };
    return { payload: rawRequest('POST', '/api/v2/publish', headers, 'hi'), documented: 'closed' };
  },
  'a request uWS refuses before the broker sees it': (_c, n) => {
    const variants = [
      'GARBAGE\r\n\r\n',
      'GET /api/v2/ping HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /api/v2/ping HTTP/1.0\r\nHost: x\r\n\r\n',
      'GET /api/v2/ping HTTP/1.1\r\n\r\n',
      rawRequest('GET', '/api/v2/ping', filler(48 + (n % 20))),
      'GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n',
      'GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n',
      'GET /api/v2/ping HTTP/1.1\nHost: x\n\n',
      'GET /api/v2/ping HTTP/1.1\r\nHost : a\r\n\r\n',
      'GET /api/v2/ping HTTP/1.1\r\nHost: x\r\n', // never finished: a slow client
    ];
    return { payload: variants[n % variants.length] ?? '', documented: 'held' };
  },
  'an oversized header section': (_c, n) => {
    // uWS resets a header section past about 100 KB; where exactly depends on how the bytes
    // arrive in reads (64,000 was reset once under load, 90,000 passed once in three, 100,000
    // once under load): up to 120 KB either outcome is documented, from 150 KB only the reset.
    const size = [64_000, 95_000, 100_000, 120_000, 150_000, 300_000][n % 6] ?? 300_000;
    return {
      payload: rawRequest('GET', '/api/v2/ping', { 'X-Big': 'a'.repeat(size) }),
      documented: size < 150_000 ? 'resetOrAnswered' : 'reset',
      expect: 1,
    };
  },
  'edges uWS answers': (_c, n) => {
    const variants = [
      'GET /api/v2/ping HTTP/1.1\r\nHost:\r\n\r\n',
      rawRequest('GET', '/api/v2/ping', filler(47)),
      'GET /api/v2/ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
      rawRequest('GET', '/api/v2/ping', { Connection: 'close' }) + ping,
      rawRequest('GET', '/api/v2/ping', { 'X-Big': 'a'.repeat(3_900) }),
    ];
    const i = n % variants.length;
    return { payload: variants[i] ?? '', documented: 'answered', expect: i === 3 ? 2 : 1 };
  },
  'websocket upgrades': (c, n) => {
    const variants: [string, Record<string, string>][] = [
      [`/api/v2/ws?token=${c.token}`, {}],
      ['/api/v2/ws?token=%E0%A4%A', {}],
      [`/api/v2/ws?since=%ZZ&token=${c.token}`, {}],
      [`/api/v2/ws?since=${'9'.repeat(4000)}`, { Authorization: `Bearer ${'x'.repeat(4000)}` }],
      ['/api/v2/ws', { Cookie: 'xsajwt=%E0%A4%A' }],
      ['/api/v2/ws', { Cookie: `xsajwt=${c.token}`, Origin: 'https://evil.example' }],
      ['/api/v2/ws', { Authorization: `Bearer ${c.token}`, 'Sec-WebSocket-Version': '8' }],
      ['/api/v2/ws', { Authorization: `Bearer ${c.token}`, 'Sec-WebSocket-Key': '' }],
      ['/api/v2/ws', {}],
    ];
    const [path, headers] = variants[n % variants.length] ?? ['/api/v2/ws', {}];
    return { payload: rawRequest('GET', path, upgradeHeaders(headers)), documented: 'upgrade', expect: 1 };
  },
  'random bytes': (_c, _n, bytes) => ({ payload: Buffer.from(bytes).toString('latin1'), documented: 'anything' }),
};

export const rawCaseArb: fc.Arbitrary<RawCase> = fc.record({
  kind: fc.constant('raw' as const),
  template: fc.constantFrom(...Object.keys(TEMPLATES)),
  n: fc.nat({ max: 999 }),
  bytes: fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => [...b]),
    fc.uint8Array({ maxLength: 60 }).map((b) => [...Buffer.from('GET /api/v2/ping HTTP/1.1\r\nHost: x\r\n'), ...b]),
  ),
});
