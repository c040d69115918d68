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
