import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, SECRET, startServer, token, type Server } from './harness.js';
import { openLive, refusedUpgrade } from './realtime-socket.js';

// Issue 9, finding 5, through the real process: a token without `exp` never expired, and an
// `iat` an hour in the future was accepted, over HTTP and in websocket `auth` frames. Now `exp`
// is required by default (MSGXC_JWT_REQUIRE_EXP), a token without it lives at most
// MSGXC_JWT_MAX_LIFETIME seconds from its `iat` where allowed, and a future `iat` is refused,
// the same on HTTP, at the websocket upgrade and in `auth` frames.
const nowS = (): number => Math.floor(Date.now() / 1000);
const signed = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(SECRET));
const inbox = (server: Server, t: string) => call(server, 'GET', '/api/v2/inbox', { token: t });

describe('tokens on a real server process (exp required: the default)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });

  it('HTTP: no exp, or an iat in the future, is a 401 naming the claim; a proper token is served', async () => {
    const noExp = await inbox(server, await signed({ sub: 'alice', iat: nowS() }));
    expect(noExp).toMatchObject({
      status: 401,
      body: { code: 'Unauthorized', msg: expect.stringContaining('`exp`') as unknown },
    });
    const future = await inbox(server, await signed({ sub: 'alice', iat: nowS() + 3600, exp: nowS() + 7200 }));
    expect(future).toMatchObject({
      status: 401,
      body: { code: 'Unauthorized', msg: expect.stringContaining('`iat`') as unknown },
    });
    expect((await inbox(server, await signed({ sub: 'alice', iat: nowS(), exp: nowS() + 60 }))).status).toBe(200);
  });

  it('websocket upgrade: the same tokens are refused with 401 before any websocket exists', async () => {
    for (const t of [
      await signed({ sub: 'alice', iat: nowS() }),
      await signed({ sub: 'alice', iat: nowS() + 3600, exp: nowS() + 7200 }),
    ]) {
      expect(await refusedUpgrade(server, { query: `?token=${t}` })).toMatchObject({
        status: 401,
        body: { code: 'Unauthorized' },
      });
    }
  });

  it('websocket `auth` frames: the same tokens get an error frame and do not extend the session', async () => {
    const s = await openLive(server, await token('kim', [], { exp: nowS() + 3 }));
    s.send({ type: 'auth', token: await signed({ sub: 'kim', iat: nowS() }), id: 'no-exp' });
    expect(await s.next((f) => f.id === 'no-exp')).toMatchObject({
      type: 'error',
      code: 'Unauthorized',
      msg: expect.stringContaining('`exp`') as unknown,
    });
    s.send({ type: 'auth', token: await signed({ sub: 'kim', iat: nowS() + 3600, exp: nowS() + 7200 }), id: 'future' });
    expect(await s.next((f) => f.id === 'future')).toMatchObject({
      type: 'error',
      code: 'Unauthorized',
      msg: expect.stringContaining('`iat`') as unknown,
    });
    // Neither extended the session: it ends when the first token does.
    expect(await s.closed).toEqual({ code: 4001, reason: 'token expired' });
  });

  it('`msgxc token` mints a token with iat and exp that the broker accepts', async () => {
    const minted = execFileSync(
      process.execPath,
      [resolve(import.meta.dirname, '../../dist/bin/msgxc.js'), 'token', 'cli-user'],
      {
        env: { PATH: process.env['PATH'] ?? '', MSGXC_JWT_SECRET: SECRET, MSGXC_DATA_DIR: server.dataDir },
        encoding: 'utf8',
      },
    ).trim();
    const claims = decodeJwt(minted);
    expect(claims).toMatchObject({
      sub: 'cli-user',
      iat: expect.any(Number) as unknown,
      exp: expect.any(Number) as unknown,
    });
    expect((await inbox(server, minted)).status).toBe(200);
  });
});

describe('tokens without exp, where the deployment allows them (MSGXC_JWT_REQUIRE_EXP=false)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer({ env: { MSGXC_JWT_REQUIRE_EXP: 'false', MSGXC_JWT_MAX_LIFETIME: '60' } });
  });
  afterAll(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });

  it('live MSGXC_JWT_MAX_LIFETIME seconds from iat, and need an iat', async () => {
    expect((await inbox(server, await signed({ sub: 'lee', iat: nowS() - 30 }))).status).toBe(200);
    expect(await inbox(server, await signed({ sub: 'lee', iat: nowS() - 120 }))).toMatchObject({
      status: 401,
      body: { msg: 'token expired' },
    });
    expect(await inbox(server, await signed({ sub: 'lee' }))).toMatchObject({
      status: 401,
      body: { msg: expect.stringContaining('`iat`') as unknown },
    });
    expect(await inbox(server, await signed({ sub: 'lee', iat: nowS() + 3600 }))).toMatchObject({
      status: 401,
      body: { msg: expect.stringContaining('`iat`') as unknown },
    });
  });

  it('end a websocket session at the end of that lifetime (close 4001), not never', async () => {
    const s = await openLive(server, await signed({ sub: 'lee', iat: nowS() - 58 }));
    expect(await s.closed).toEqual({ code: 4001, reason: 'token expired' });
  });
});
