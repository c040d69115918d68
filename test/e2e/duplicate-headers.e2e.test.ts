import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, SECRET, startServer, token, type Server } from './harness.js';
import { expectHealthy, rawHttp, rawRequest, type RawResponse } from './raw-http.js';
import { openSocket } from './realtime-socket.js';

// A header that means one thing, sent twice: uWS's getHeader answers the first, a proxy in front
// may act on the last (another user, another key). Refused 400 naming the header, on every
// route and method and on the websocket upgrade (docs/http-edges.md). Raw sockets, because
// fetch joins repeated headers into one.
let server: Server;
let alice: string;
let bob: string;

beforeAll(async () => {
  // Behind a trusted proxy (127.0.0.1) with a small budget of failed authentications per
  // address, and CORS on, so that X-Forwarded-For and preflights are read.
  server = await startServer({
    env: {
      MSGXC_TRUSTED_PROXIES: '127.0.0.1',
      MSGXC_RATE_IP: '1:5',
      MSGXC_CORS_ORIGINS: 'https://app.example.com',
    },
  });
  alice = await token('alice');
  bob = await token('bob');
});
afterAll(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

const body = (r: RawResponse | undefined): unknown => JSON.parse(r?.body ?? 'null');
const threadCreated = async (tid: string): Promise<number> =>
  (await call(server, 'GET', `/api/v2/threads/${tid}`, { token: alice })).status;

/** Header lines as given (a Record cannot hold one name twice). */
const raw = (method: string, path: string, lines: readonly string[], payload = ''): string =>
  [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...lines,
    ...(payload === '' ? [] : [`Content-Length: ${Buffer.byteLength(payload)}`]),
    '',
    payload,
  ].join('\r\n');

describe('a header that must come once, sent twice: 400 DuplicateHeader naming it', () => {
  it('two Authorization headers (alice, then bob) publish nothing, as either', async () => {
    const tid = `dup-auth-${Date.now()}`;
    const a = await rawHttp(
      server,
      raw(
        'POST',
        '/api/v2/publish',
        [`Authorization: Bearer ${alice}`, `Authorization: Bearer ${bob}`, 'Content-Type: application/json'],
        JSON.stringify({ tid, msg: 'whose?' }),
      ),
      { expect: 1 },
    );
    expect(a.responses[0]?.status).toBe(400);
    expect(body(a.responses[0])).toEqual({
      code: 'DuplicateHeader',
      msg: 'Authorization: more than one Authorization header; send it once',
    });
    expect(await threadCreated(tid)).toBe(404);
  });

  it('two Idempotency-Keys commit nothing', async () => {
    const tid = `dup-key-${Date.now()}`;
    const a = await rawHttp(
      server,
      raw(
        'POST',
        '/api/v2/publish',
        [
          `Authorization: Bearer ${alice}`,
          'Idempotency-Key: first-key',
          'Idempotency-Key: second-key',
          'Content-Type: application/json',
        ],
        JSON.stringify({ tid, msg: 'which key?' }),
      ),
      { expect: 1 },
    );
    expect(a.responses[0]?.status).toBe(400);
    expect(body(a.responses[0])).toMatchObject({
      code: 'DuplicateHeader',
      msg: expect.stringMatching(/^Idempotency-Key:/) as string,
    });
    expect(await threadCreated(tid)).toBe(404);
  });

  // Every route and method: a public GET answered synchronously, an authenticated GET, a
  // command with a body, a DELETE.
  const routes: [string, string, string][] = [
    ['GET', '/api/v2/ping', ''],
    ['GET', '/api/v2/inbox', ''],
    ['POST', '/api/v2/publish', '{"tid":"dup-any","msg":"x"}'],
    ['DELETE', '/api/v2/messages/0190f5a0-0000-7000-8000-000000000000', ''],
  ];
  const headers: [string, (t: string) => string[]][] = [
    ['Authorization', (t) => [`Authorization: Bearer ${t}`, `authorization: Bearer ${t}`]],
    ['Idempotency-Key', (t) => [`Authorization: Bearer ${t}`, 'Idempotency-Key: k1', 'idempotency-key: k1']],
    [
      'Content-Type',
      (t) => [`Authorization: Bearer ${t}`, 'Content-Type: application/json', 'Content-Type: text/html'],
    ],
    [
      'Origin',
      (t) => [`Authorization: Bearer ${t}`, 'Origin: https://app.example.com', 'Origin: https://evil.example'],
    ],
    ['Host', (t) => [`Authorization: Bearer ${t}`, 'Host: elsewhere']],
  ];
  for (const [method, path, payload] of routes)
    for (const [name, lines] of headers)
      it(`${name} twice on ${method} ${path.split('/').slice(0, 4).join('/')}`, async () => {
        const a = await rawHttp(server, raw(method, path, lines(alice), payload), { expect: 1 });
        expect(a.responses[0]?.status).toBe(400);
        // Two Hosts beside a body were refused as framing before (http-edges.e2e.test.ts).
        expect(body(a.responses[0])).toEqual(
          name === 'Host' && payload !== ''
            ? { code: 'BadRequestFraming', msg: 'more than one Host header' }
            : { code: 'DuplicateHeader', msg: `${name}: more than one ${name} header; send it once` },
        );
      });

  it('a bodyless request refused so keeps its connection: a ping behind it is answered', async () => {
    const twice = raw('GET', '/api/v2/ping', ['Authorization: Bearer a', 'Authorization: Bearer b']);
    const a = await rawHttp(server, twice + rawRequest('GET', '/api/v2/ping'), { expect: 2 });
    expect(a.responses.map((r) => r.status)).toEqual([400, 200]);
    await expectHealthy(server);
  });

  it('an unreadable first Authorization (a byte above 0x7f reads as empty) does not hide the second', async () => {
    const a = await rawHttp(
      server,
      raw('GET', '/api/v2/inbox', ['Authorization: Bearer \xe9', `Authorization: Bearer ${alice}`]),
      { expect: 1 },
    );
    expect(a.responses[0]?.status).toBe(400);
    expect(body(a.responses[0])).toMatchObject({ code: 'DuplicateHeader' });
  });

  it('one header of each is served as before', async () => {
    const a = await rawHttp(
      server,
      raw('GET', '/api/v2/inbox', [`Authorization: Bearer ${alice}`, 'Origin: https://app.example.com']),
      { expect: 1 },
    );
    expect(a.responses[0]?.status).toBe(200);
    expect(a.responses[0]?.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('two X-Request-Ids decide nothing: served, under an id of the broker', async () => {
    const a = await rawHttp(server, raw('GET', '/api/v2/ping', ['X-Request-Id: mine-1', 'X-Request-Id: mine-2']), {
      expect: 1,
    });
    expect(a.responses[0]?.status).toBe(200);
    const id = a.responses[0]?.headers['x-request-id'] ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const one = await rawHttp(server, raw('GET', '/api/v2/ping', ['X-Request-Id: mine-1']), { expect: 1 });
    expect(one.responses[0]?.headers['x-request-id']).toBe('mine-1');
  });

  it('a CORS preflight with two Origins', async () => {
    const a = await rawHttp(
      server,
      raw('OPTIONS', '/api/v2/publish', [
        'Origin: https://app.example.com',
        'Origin: https://evil.example',
        'Access-Control-Request-Method: POST',
      ]),
      { expect: 1 },
    );
    expect(a.responses[0]?.status).toBe(400);
    expect(body(a.responses[0])).toMatchObject({
      code: 'DuplicateHeader',
      msg: expect.stringMatching(/^Origin:/) as string,
    });
  });
});

describe('the websocket upgrade: 400 before upgrading', () => {
  const upgrade = (lines: readonly string[], query = ''): string =>
    raw('GET', `/api/v2/ws${query}`, [
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      ...lines,
    ]);
  const answer = async (request: string): Promise<RawResponse | undefined> =>
    (await rawHttp(server, request, { expect: 1 })).responses[0];

  it('two Authorization headers', async () => {
    const r = await answer(upgrade([`Authorization: Bearer ${alice}`, `Authorization: Bearer ${bob}`]));
    expect(r?.status).toBe(400);
    expect(body(r)).toEqual({
      code: 'DuplicateHeader',
      msg: 'Authorization: more than one Authorization header; send it once',
    });
  });

  it('two token parameters', async () => {
    const r = await answer(upgrade([], `?token=${alice}&token=${bob}`));
    expect(r?.status).toBe(400);
    expect(body(r)).toMatchObject({ code: 'InvalidQuery', msg: expect.stringMatching(/^token:/) as string });
  });

  it('two since or compat parameters', async () => {
    for (const [name, query] of [
      ['since', '?since=1&since=2'],
      ['compat', '?compat=webservice-notification&compat=webservice-notification'],
    ] as const) {
      const r = await answer(upgrade([`Authorization: Bearer ${alice}`], query));
      expect(r?.status).toBe(400);
      expect(body(r)).toEqual({
        code: 'InvalidQuery',
        msg: `${name}: more than one \`${name}\` parameter; send it once`,
      });
    }
  });

  it('a token parameter and an Authorization header with another token; the same token twice upgrades', async () => {
    const r = await answer(upgrade([`Authorization: Bearer ${alice}`], `?token=${bob}`));
    expect(r?.status).toBe(400);
    expect(body(r)).toMatchObject({
      code: 'InvalidQuery',
      msg: expect.stringMatching(/^token: .*another token/) as string,
    });
    expect((await answer(upgrade([`Authorization: Bearer ${alice}`], `?token=${alice}`)))?.status).toBe(101);
  });

  it('two xsajwt cookies (in one Cookie header or two)', async () => {
    for (const lines of [
      [`Cookie: xsajwt=${alice}; xsajwt=${bob}`],
      [`Cookie: xsajwt=${alice}`, `Cookie: xsajwt=${bob}`],
    ]) {
      const r = await answer(upgrade(lines));
      expect(r?.status).toBe(400);
      expect(body(r)).toMatchObject({ code: 'DuplicateCookie', msg: expect.stringMatching(/^xsajwt:/) as string });
    }
  });

  it('two Origin, Host or Sec-WebSocket-Key headers', async () => {
    for (const [name, lines] of [
      ['Origin', ['Origin: http://127.0.0.1', 'Origin: https://evil.example']],
      ['Host', ['Host: elsewhere']],
      ['Sec-WebSocket-Key', ['Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==']],
    ] as const) {
      const r = await answer(upgrade([`Authorization: Bearer ${alice}`, ...lines]));
      expect(r?.status).toBe(400);
      expect(body(r)).toMatchObject({
        code: 'DuplicateHeader',
        msg: expect.stringMatching(new RegExp(`^${name}:`)) as string,
      });
    }
  });

  it('the token in a second Cookie line (a proxy from HTTP/2 may split them) still upgrades', async () => {
    const r = await answer(upgrade(['Cookie: theme=dark', `Cookie: xsajwt=${alice}`]));
    expect(r?.status).toBe(101);
  });
});

describe('X-Forwarded-For from a trusted proxy: every line is read, in order', () => {
  it('a client cannot dodge its per-address budget by sending its own X-Forwarded-For before the proxy adds one', async () => {
    // HAProxy's `option forwardfor` adds a line after the client's; uWS's getHeader reads the first.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const a = await rawHttp(
        server,
        raw('GET', '/api/v2/inbox', [
          'Authorization: Bearer not-a-token',
          `X-Forwarded-For: 198.51.100.${i}`,
          'X-Forwarded-For: 203.0.113.7',
        ]),
        { expect: 1 },
      );
      statuses.push(a.responses[0]?.status ?? 0);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });
});

describe('a roles claim of the wrong type: 401 naming the claim, on HTTP and websocket alike', () => {
  const withRoles = (roles: unknown): Promise<string> =>
    new SignJWT({ roles })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('carol')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
      .sign(Buffer.from(SECRET));
  const msg = 'token claim `roles` rejected: expected an array of role names, got a string';

  it('HTTP', async () => {
    const r = await call(server, 'GET', '/api/v2/inbox', { token: await withRoles('admin') });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 'Unauthorized', msg });
  });

  it('the websocket upgrade and the auth frame', async () => {
    const bad = await withRoles('admin');
    const r = (
      await rawHttp(
        server,
        raw('GET', '/api/v2/ws', [
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 13',
          `Authorization: Bearer ${bad}`,
        ]),
        { expect: 1 },
      )
    ).responses[0];
    expect(r?.status).toBe(401);
    expect(body(r)).toEqual({ code: 'Unauthorized', msg });
    const ws = await openSocket(server, await withRoles(['ops']));
    try {
      ws.send({ type: 'auth', token: bad });
      expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 'Unauthorized', msg });
    } finally {
      await ws.close();
    }
  });

  it('a token without roles is served as before', async () => {
    const none = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('dave')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
      .sign(Buffer.from(SECRET));
    expect((await call(server, 'GET', '/api/v2/inbox', { token: none })).status).toBe(200);
  });
});
