import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, type Server } from './harness.js';
import { openSocket, refusedUpgrade } from './realtime-socket.js';

// Public-key JWTs end to end: a broker configured with MSGXC_JWT_PUBLIC_KEY (and no secret)
// accepts tokens its issuer signed with the private key, over HTTP and at the websocket
// upgrade, and refuses every other key, algorithm confusion, `none`, and expired tokens.
const pair = (kind: 'ec' | 'rsa'): { privateKey: KeyObject; pem: string } => {
  const { privateKey, publicKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};
const sign = (
  alg: string,
  key: KeyObject | Uint8Array,
  sub: string,
  roles: string[] = [],
  exp = Math.floor(Date.now() / 1000) + 3600,
): Promise<string> =>
  new SignJWT({ roles }).setProtectedHeader({ alg }).setSubject(sub).setExpirationTime(exp).sign(key);
const unsigned = (sub: string): string =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub, roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.`;

for (const [alg, kind] of [
  ['ES256', 'ec'],
  ['RS256', 'rsa'],
] as const) {
  describe(`${alg} tokens verified with MSGXC_JWT_PUBLIC_KEY`, () => {
    const issuer = pair(kind);
    let s: Server;
    beforeAll(async () => {
      // No secret: the broker holds only the public key (production mode by configuration).
      s = await startServer({
        env: { MSGXC_JWT_SECRET: '', MSGXC_JWT_PUBLIC_KEY: issuer.pem, MSGXC_LOG_LEVEL: 'warn' },
      });
      expect(s.output()).toContain('production mode');
    });
    afterAll(async () => {
      await s.stop();
      removeDir(s.dataDir);
    });

    it("accepts the issuer's tokens over HTTP, roles included, and at the websocket upgrade", async () => {
      const admin = await sign(alg, issuer.privateKey, 'root', ['admin']);
      const bob = await sign(alg, issuer.privateKey, 'bob');
      const sent = await call(s, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: 'bob', msg: `signed with ${alg}` },
      });
      expect(sent.status, sent.text).toBe(200);
      expect((await call(s, 'POST', '/api/v2/send', { token: bob, body: { uid: 'root', msg: 'no' } })).status).toBe(
        403,
      );
      const inbox = await call(s, 'GET', '/api/v2/inbox', { token: bob });
      expect((inbox.body as { messages: { msg: string }[] }).messages.map((m) => m.msg)).toEqual([
        `signed with ${alg}`,
      ]);
      for (const via of ['header', 'query'] as const) {
        const ws = await openSocket(s, bob, { via });
        expect(await ws.next((f) => f.type === 'hello')).toMatchObject({ uid: 'bob' });
        await ws.close();
      }
    });

    it('refuses another key, the other algorithm, HS256 signed with the public key, alg none and an expired token', async () => {
      const stranger = pair(kind);
      const otherKind = pair(kind === 'ec' ? 'rsa' : 'ec');
      const refused: Record<string, string> = {
        'another key': await sign(alg, stranger.privateKey, 'mallory', ['admin']),
        'the other algorithm, another key': await sign(
          alg === 'ES256' ? 'RS256' : 'ES256',
          otherKind.privateKey,
          'mallory',
          ['admin'],
        ),
        'HS256 keyed with the public key': await sign('HS256', Buffer.from(issuer.pem), 'mallory', ['admin']),
        'alg none': unsigned('mallory'),
        expired: await sign(alg, issuer.privateKey, 'bob', [], Math.floor(Date.now() / 1000) - 600),
      };
      for (const [what, t] of Object.entries(refused)) {
        const r = await call(s, 'GET', '/api/v2/inbox', { token: t });
        expect(r.status, what).toBe(401);
        expect(r.body, what).toMatchObject({ code: 'Unauthorized' });
        expect((await refusedUpgrade(s, { query: `?token=${t}` })).status, `${what} at the upgrade`).toBe(401);
      }
      expect(
        (await call(s, 'POST', '/api/v2/broadcast', { token: refused['another key'] ?? '', body: { msg: 'forged' } }))
          .status,
      ).toBe(401);
    });
  });
}
