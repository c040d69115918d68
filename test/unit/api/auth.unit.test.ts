import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createVerifier, tokenFromHeader } from '../../../api/auth.js';

const secret = 'x'.repeat(40);
const now = Date.parse('2026-11-22T12:00:00Z');
const sec = Math.floor(now / 1000);
const sign = (claims: Record<string, unknown>, key: string | Uint8Array = secret, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(typeof key === 'string' ? Buffer.from(key) : key);

describe('JWT verification', () => {
  const verifier = createVerifier({ secret, algorithms: ['HS256'] }, () => now);

  it('accepts a valid token and reads sub and roles', async () => {
    const token = await sign({ sub: 'alice', roles: ['admin', 7], exp: sec + 60 });
    expect(await verifier.verify(token)).toEqual({ uid: 'alice', roles: ['admin'] });
  });

  it('refuses an expired token, also when it was cached while valid', async () => {
    expect(await verifier.verify(await sign({ sub: 'a', exp: sec - 60 }))).toEqual({ error: 'token expired' });
    let t = now;
    const moving = createVerifier({ secret, algorithms: ['HS256'] }, () => t);
    const token = await sign({ sub: 'a', exp: sec + 10 });
    expect(await moving.verify(token)).toEqual({ uid: 'a', roles: [] });
    t += 20_000;
    expect(await moving.verify(token)).toEqual({ error: 'token expired' });
  });

  it('refuses a token that is not yet valid (nbf)', async () => {
    const r = await verifier.verify(await sign({ sub: 'a', nbf: sec + 600 }));
    expect(r).toMatchObject({ error: expect.stringContaining('nbf') as string });
  });

  it('refuses a forged signature, alg none, and a foreign algorithm', async () => {
    expect(await verifier.verify(await sign({ sub: 'a' }, 'y'.repeat(40)))).toEqual({ error: 'token signature invalid' });
    const none = new UnsecuredJWT({ sub: 'a', roles: ['admin'] }).encode();
    expect(await verifier.verify(none)).toHaveProperty('error');
    expect(await verifier.verify(await sign({ sub: 'a' }, secret, 'HS512'))).toEqual({ error: 'token algorithm not allowed' });
    expect(await verifier.verify('not.a.jwt')).toHaveProperty('error');
  });

  it('refuses a token without a usable sub', async () => {
    expect(await verifier.verify(await sign({ roles: [] }))).toHaveProperty('error');
    expect(await verifier.verify(await sign({ sub: 'a b/c' }))).toHaveProperty('error');
  });

  it('verifies RS256 with a public key, and does not accept HS256 signed with that public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rs = createVerifier({ publicKey: pem, algorithms: ['RS256'] }, () => now);
    const good = await new SignJWT({ sub: 'bob' }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await rs.verify(good)).toEqual({ uid: 'bob', roles: [] });
    const confused = await sign({ sub: 'bob', roles: ['admin'] }, new TextEncoder().encode(pem));
    expect(await rs.verify(confused)).toHaveProperty('error');
  });
});

describe('Authorization header', () => {
  it('takes the token with or without the Bearer word, as msgxc did', () => {
    expect(tokenFromHeader('Bearer abc')).toBe('abc');
    expect(tokenFromHeader('bearer   abc ')).toBe('abc');
    expect(tokenFromHeader('abc')).toBe('abc');
    expect(tokenFromHeader('')).toBeUndefined();
  });
});
