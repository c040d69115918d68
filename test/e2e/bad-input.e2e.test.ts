import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Server } from './harness.js';

// Every kind of bad input gets a JSON {code, msg} 4xx naming the problem; never a 500, never a crash.
describe('bad input on a real server process', () => {
  let server: Server;
  let alice: string;
  let admin: string;
  beforeAll(async () => {
    server = await startServer({ env: { MSGXC_BODY_LIMIT: '4096' } });
    alice = await token('alice');
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });

  const expectError = (r: { status: number; body: unknown }, status: number, code: string, mentions?: RegExp): void => {
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ code });
    if (mentions) expect((r.body as { msg: string }).msg).toMatch(mentions);
  };

  it('malformed JSON (the seed publish example) -> 400', async () => {
    const raw = '{"tid": "5ae3c890-5e55-11ea-9283-4fa18a847130", "msg":"the message you want to send", "opts", { }}';
    expectError(await call(server, 'POST', '/api/v2/publish', { token: alice, raw }), 400, 'MalformedJson');
    expectError(await call(server, 'POST', '/api/v2/publish', { token: alice, raw: '' }), 400, 'MalformedJson');
  });

  it('missing fields and wrong types -> 400 naming the field', async () => {
    expectError(
      await call(server, 'POST', '/api/v2/publish', { token: alice, body: { msg: 'x' } }),
      400,
      'InvalidBody',
      /tid/,
    );
    expectError(
      await call(server, 'POST', '/api/v2/publish', { token: alice, body: { tid: 't', msg: 5 } }),
      400,
      'InvalidBody',
      /msg/,
    );
    expectError(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        body: { tid: 't', msg: 'x', opts: { urgency: 7 } },
      }),
      400,
      'InvalidBody',
      /opts\.urgency/,
    );
    expectError(await call(server, 'POST', '/api/v2/send', { token: admin, body: [1, 2] }), 400, 'InvalidBody');
    expectError(
      await call(server, 'POST', '/api/v2/enlist', { token: alice, body: { os: 'windows', token: 'x' } }),
      400,
      'InvalidBody',
    );
    expectError(
      await call(server, 'POST', '/api/v2/subscribe', { token: alice, body: { tid: 'a/b' } }),
      400,
      'InvalidBody',
      /tid/,
    );
    expectError(
      await call(server, 'GET', '/api/v2/inbox?limit=100000', { token: alice }),
      400,
      'InvalidQuery',
      /limit/,
    );
    expectError(
      await call(server, 'GET', '/api/v2/inbox?before=%00nonsense', { token: alice }),
      400,
      'InvalidQuery',
      /before/,
    );
  });

  it('a body over the limit -> 413, by Content-Length and when streamed without one', async () => {
    const big = JSON.stringify({ tid: 't', msg: 'x'.repeat(10_000) });
    expectError(await call(server, 'POST', '/api/v2/publish', { token: alice, raw: big }), 413, 'PayloadTooLarge');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/api/v2/publish`,
        { method: 'POST', headers: { authorization: `Bearer ${alice}`, 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
      req.end();
    });
    expect(status).toBe(413);
  });

  it('a body that is not UTF-8 -> 400, and nothing of it is stored with U+FFFD in its place', async () => {
    // What a careless client sends: Latin-1 `café` (0xE9), whatever charset it declares.
    const post = async (path: string, bytes: Buffer, contentType: string, auth = alice) => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${auth}`, 'content-type': contentType },
        body: bytes,
      });
      return { status: res.status, body: await res.json() };
    };
    const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
    for (const contentType of ['application/json', 'application/json; charset=iso-8859-1', 'text/plain'])
      expectError(
        await post('/api/v2/publish', latin1('{"tid":"latin","msg":"caf\u00e9"}'), contentType),
        400,
        'MalformedJson',
        /UTF-8/,
      );
    // A lone continuation byte and a truncated sequence, inside a string and outside one.
    for (const bytes of [
      Buffer.concat([Buffer.from('{"tid":"latin","msg":"a'), Buffer.from([0x80]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"tid":"latin","msg":"a'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]),
    ])
      expectError(await post('/api/v2/publish', bytes, 'application/json'), 400, 'MalformedJson', /UTF-8/);
    // A form post (the routes that take one, POST /notify) is held to the same rule, its
    // percent-escapes too (`%E9` is Latin-1 `é`).
    for (const form of [latin1('users=["latin"]&title=caf\u00e9'), Buffer.from('users=["latin"]&title=caf%E9')])
      expectError(
        await post('/notify', form, 'application/x-www-form-urlencoded', admin),
        400,
        'MalformedJson',
        /UTF-8/,
      );
    // None of it reached the log: the thread a publish would have created does not exist.
    expectError(await call(server, 'GET', '/api/v2/threads/latin', { token: alice }), 404, 'NotFound');
    // The same text in UTF-8 is stored and read back as sent.
    const ok = await post(
      '/api/v2/publish',
      Buffer.from('{"tid":"latin","msg":"caf\u00e9 \u{1F992}"}'),
      'application/json',
    );
    expect(ok.status).toBe(200);
    const history = await call(server, 'GET', '/api/v2/threads/latin/messages', { token: alice });
    expect((history.body as { messages: { msg: string }[] }).messages.map((m) => m.msg)).toEqual([
      'caf\u00e9 \u{1F992}',
    ]);
  });

  it('unknown route -> 404, wrong method -> 405, not JSON -> 415', async () => {
    expectError(await call(server, 'GET', '/api/v2/nope'), 404, 'NotFound');
    expectError(await call(server, 'GET', '/api/v2/publish', { token: alice }), 405, 'MethodNotAllowed');
    expectError(
      await call(server, 'POST', '/api/v2/publish', {
        token: alice,
        raw: '<xml/>',
        headers: { 'content-type': 'application/xml' },
      }),
      415,
      'UnsupportedMediaType',
    );
  });

  it('no token, a forged one, an expired one -> 401; not allowed -> 403', async () => {
    expectError(
      await call(server, 'POST', '/api/v2/publish', { body: { tid: 't', msg: 'x' } }),
      401,
      'Unauthorized',
      /missing/,
    );
    expectError(
      await call(server, 'GET', '/api/v2/inbox', { token: await token('alice', [], { secret: 'z'.repeat(40) }) }),
      401,
      'Unauthorized',
      /signature/,
    );
    expectError(
      await call(server, 'GET', '/api/v2/inbox', {
        token: await token('alice', [], { exp: Math.floor(Date.now() / 1000) - 60 }),
      }),
      401,
      'Unauthorized',
      /expired/,
    );
    expectError(await call(server, 'GET', '/api/v2/inbox', { token: 'garbage' }), 401, 'Unauthorized');
    expectError(
      await call(server, 'POST', '/api/v2/broadcast', { token: alice, body: { msg: 'x' } }),
      403,
      'Forbidden',
      /admin/,
    );
    expectError(await call(server, 'GET', '/api/v2/events', { token: alice }), 403, 'Forbidden');
  });

  it('malicious payloads are stored as data, not interpreted', async () => {
    const msg = "<script>alert(1)</script>'; DROP TABLE events; --";
    // Written as text: a JS object literal would turn `__proto__` into a prototype and
    // JSON.stringify would drop it, so the server would never see the attack.
    const raw = `{"tid":"evil","msg":${JSON.stringify(msg)},"opts":{"__proto__":{"roles":["admin"],"admin":true},"constructor":{"prototype":{"x":1}}}}`;
    const r = await call(server, 'POST', '/api/v2/publish', { token: alice, raw });
    expect(r.status).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const m = await call(server, 'GET', `/api/v2/messages/${mid}`, { token: alice });
    expect((m.body as { msg: string }).msg).toBe(msg);
    // The keys come back as plain data, and nothing in the server gained admin rights.
    expect(JSON.stringify((m.body as { opts: unknown }).opts)).toBe(
      '{"__proto__":{"roles":["admin"],"admin":true},"constructor":{"prototype":{"x":1}}}',
    );
    expectError(
      await call(server, 'POST', '/api/v2/broadcast', { token: alice, body: { msg: 'x' } }),
      403,
      'Forbidden',
    );
    expectError(await call(server, 'GET', '/api/v2/events', { token: alice }), 403, 'Forbidden');
  });

  it('deeply nested opts -> 400, and the server is still alive after all of the above', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { a: deep };
    // Refused before parsing (MSGXC_JSON_MAX_DEPTH), so the message names the limit, not the field.
    expectError(
      await call(server, 'POST', '/api/v2/publish', { token: alice, body: { tid: 't', msg: 'x', opts: deep } }),
      400,
      'JsonTooDeep',
      /deeper than 32 levels/,
    );
    expect((await call(server, 'GET', '/api/v2/ping')).body).toBe(true);
    expect(server.output()).not.toMatch(/"level":50/);
  });
});
