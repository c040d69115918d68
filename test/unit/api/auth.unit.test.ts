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
    const token = await sign({ sub: 'alice', roles: ['admin', 'ops'], exp: sec + 60 });
    expect(await verifier.verify(token)).toEqual({
      uid: 'alice',
      roles: ['admin', 'ops'],
      expiresAt: (sec + 60) * 1000,
    });
  });

  it('refuses an expired token, also when it was cached while valid', async () => {
    expect(await verifier.verify(await sign({ sub: 'a', exp: sec - 60 }))).toEqual({ error: 'token expired' });
    let t = now;
    const moving = createVerifier({ secret, algorithms: ['HS256'] }, () => t);
    const token = await sign({ sub: 'a', exp: sec + 10 });
    expect(await moving.verify(token)).toEqual({ uid: 'a', roles: [], expiresAt: (sec + 10) * 1000 });
    t += 20_000;
    expect(await moving.verify(token)).toEqual({ error: 'token expired' });
  });

  it('refuses a token that is not yet valid (nbf)', async () => {
    const r = await verifier.verify(await sign({ sub: 'a', nbf: sec + 600 }));
    expect(r).toMatchObject({ error: expect.stringContaining('nbf') as string });
  });

  it('refuses a forged signature, alg none, and a foreign algorithm', async () => {
    expect(await verifier.verify(await sign({ sub: 'a' }, 'y'.repeat(40)))).toEqual({
      error: 'token signature invalid',
    });
    const none = new UnsecuredJWT({ sub: 'a', roles: ['admin'] }).encode();
    expect(await verifier.verify(none)).toHaveProperty('error');
    expect(await verifier.verify(await sign({ sub: 'a' }, secret, 'HS512'))).toEqual({
      error: 'token algorithm not allowed',
    });
    expect(await verifier.verify('not.a.jwt')).toHaveProperty('error');
  });

  it('refuses exp, iat or nbf beyond a double (1e400 parses as Infinity: a token that never expires)', async () => {
    // jose's SignJWT writes Infinity as null: the payload is written by hand, as a forger's issuer would.
    const { createHmac } = await import('node:crypto');
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const forge = (payload: string) => {
      const head = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(payload)}`;
      return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
    };
    expect(await verifier.verify(forge(`{"sub":"a","exp":1e400}`))).toEqual({
      error: 'token claim `exp` rejected: not a finite time',
    });
    expect(await verifier.verify(forge(`{"sub":"a","exp":${String(sec + 60)},"iat":-1e400}`))).toEqual({
      error: 'token claim `iat` rejected: not a finite time',
    });
    const lax = createVerifier({ secret, algorithms: ['HS256'], requireExp: false }, () => now);
    expect(await lax.verify(forge(`{"sub":"a","iat":-1e400}`))).toEqual({
      error: 'token claim `iat` rejected: not a finite time',
    });
    expect(await verifier.verify(forge(`{"sub":"a","exp":${String(sec + 60)}}`))).toMatchObject({ uid: 'a' });
  });

  it('refuses a token without a usable sub', async () => {
    expect(await verifier.verify(await sign({ roles: [] }))).toHaveProperty('error');
    expect(await verifier.verify(await sign({ sub: 'a b/c' }))).toHaveProperty('error');
  });

  it('verifies RS256 with a public key, and does not accept HS256 signed with that public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rs = createVerifier({ publicKey: pem, algorithms: ['RS256'] }, () => now);
    const good = await new SignJWT({ sub: 'bob', exp: sec + 60 }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await rs.verify(good)).toEqual({ uid: 'bob', roles: [], expiresAt: (sec + 60) * 1000 });
    const confused = await sign({ sub: 'bob', roles: ['admin'] }, new TextEncoder().encode(pem));
    expect(await rs.verify(confused)).toHaveProperty('error');
  });
});

describe('token lifetime (issue 9, finding 5)', () => {
  const verifier = createVerifier({ secret, algorithms: ['HS256'] }, () => now);
  const lenient = createVerifier({ secret, algorithms: ['HS256'], requireExp: false, maxLifetimeSec: 3600 }, () => now);

  it('refuses a token without exp by default, naming the claim', async () => {
    expect(await verifier.verify(await sign({ sub: 'a', iat: sec }))).toEqual({
      error: 'token claim `exp` rejected: missing: tokens must expire',
    });
  });

  it('refuses an iat in the future beyond the clock tolerance, with or without exp', async () => {
    expect(await verifier.verify(await sign({ sub: 'a', iat: sec + 3600, exp: sec + 7200 }))).toEqual({
      error: 'token claim `iat` rejected: issued in the future',
    });
    expect(await lenient.verify(await sign({ sub: 'a', iat: sec + 60 }))).toEqual({
      error: 'token claim `iat` rejected: issued in the future',
    });
    expect(await verifier.verify(await sign({ sub: 'a', iat: sec + 3, exp: sec + 60 }))).toEqual({
      uid: 'a',
      roles: [],
      expiresAt: (sec + 60) * 1000,
    });
  });

  it('with exp not required, accepts a token without it for the maximum lifetime counted from iat', async () => {
    expect(await lenient.verify(await sign({ sub: 'a', iat: sec - 60 }))).toEqual({
      uid: 'a',
      roles: [],
      expiresAt: (sec - 60 + 3600) * 1000,
    });
    expect(await lenient.verify(await sign({ sub: 'a', iat: sec - 3700 }))).toEqual({ error: 'token expired' });
    expect(await lenient.verify(await sign({ sub: 'a' }))).toEqual({
      error: 'token claim `iat` rejected: a token without `exp` must carry `iat`',
    });
  });

  it('ends a cached token without exp at its maximum lifetime', async () => {
    let t = now;
    const moving = createVerifier({ secret, algorithms: ['HS256'], requireExp: false, maxLifetimeSec: 60 }, () => t);
    const token = await sign({ sub: 'a', iat: sec });
    expect(await moving.verify(token)).toMatchObject({ uid: 'a' });
    t += 61_000;
    expect(await moving.verify(token)).toEqual({ error: 'token expired' });
  });

  it('refuses roles beyond the bounds every event metadata has', async () => {
    const many = Array.from({ length: 33 }, (_, i) => `r${i}`);
    expect(await verifier.verify(await sign({ sub: 'a', exp: sec + 60, roles: many }))).toMatchObject({
      error: expect.stringContaining('`roles` rejected') as string,
    });
    expect(await verifier.verify(await sign({ sub: 'a', exp: sec + 60, roles: ['x'.repeat(65)] }))).toHaveProperty(
      'error',
    );
  });

  it('refuses a roles claim that is not an array of role names, naming the claim (read as no roles before)', async () => {
    const cases: [unknown, string][] = [
      ['admin', 'a string'],
      [{ admin: true }, 'an object'],
      [null, 'null'],
      [7, 'a number'],
      [true, 'a boolean'],
      [[['admin']], 'an array at roles[0]'],
      [['admin', 7], 'a number at roles[1]'],
      [['ops', null], 'null at roles[1]'],
    ];
    for (const [roles, got] of cases) {
      expect(await verifier.verify(await sign({ sub: 'a', exp: sec + 60, roles }))).toEqual({
        error: `token claim \`roles\` rejected: expected an array of role names, got ${got}`,
      });
    }
  });

  it('reads a token without a roles claim, or with an empty list, as no roles', async () => {
    expect(await verifier.verify(await sign({ sub: 'a', exp: sec + 60 }))).toEqual({
      uid: 'a',
      roles: [],
      expiresAt: (sec + 60) * 1000,
    });
    expect(await verifier.verify(await sign({ sub: 'b', exp: sec + 60, roles: [] }))).toEqual({
      uid: 'b',
      roles: [],
      expiresAt: (sec + 60) * 1000,
    });
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

// A token for another service (`aud` naming it), signed by the same issuer's key or secret,
// is not one for this broker (RFC 7519 4.1.3): refused unless MSGXC_JWT_AUDIENCE names it.
describe('JWT audience', () => {
  it('refuses a token that names an audience when the broker has none', async () => {
    const v = createVerifier({ secret, algorithms: ['HS256'] }, () => now);
    for (const aud of ['billing-api', ['billing-api', 'msgxc']])
      expect(await v.verify(await sign({ sub: 'a', exp: sec + 60, aud }))).toEqual({
        error: expect.stringContaining('`aud`') as string,
      });
    expect(await v.verify(await sign({ sub: 'a', exp: sec + 60 }))).toMatchObject({ uid: 'a' });
  });
  it('with MSGXC_JWT_AUDIENCE, accepts only tokens for one of its audiences', async () => {
    const v = createVerifier({ secret, algorithms: ['HS256'], audience: ['msgxc', 'notify'] }, () => now);
    expect(await v.verify(await sign({ sub: 'a', exp: sec + 60, aud: 'notify' }))).toMatchObject({ uid: 'a' });
    expect(await v.verify(await sign({ sub: 'a', exp: sec + 60, aud: ['x', 'msgxc'] }))).toMatchObject({ uid: 'a' });
    for (const claims of [{ aud: 'billing-api' }, {}])
      expect(await v.verify(await sign({ sub: 'a', exp: sec + 60, ...claims }))).toEqual({
        error: expect.stringContaining('`aud`') as string,
      });
  });
});
