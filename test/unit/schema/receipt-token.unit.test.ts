import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { asMessageId, asUserId } from '../../../schema/ids.js';
import { signReceiptToken, verifyReceiptToken } from '../../../schema/receipt-token.js';

const KEY = 'k'.repeat(40);
const NOW = Date.parse('2030-01-01T00:00:00Z');
const claims = { mid: asMessageId('m1'), uid: asUserId('alice'), channel: 'webpush' as const, expiresAt: NOW + 60_000 };

describe('push receipt tokens', () => {
  it('round-trips its claims while valid', () => {
    const t = signReceiptToken(KEY, claims);
    expect(verifyReceiptToken(KEY, t, NOW)).toEqual(E.right(claims));
  });
  it('expires', () => {
    const t = signReceiptToken(KEY, claims);
    expect(verifyReceiptToken(KEY, t, NOW + 60_000)).toEqual(E.left('expired'));
  });
  it('refuses another key, and claims edited to name another user or message', () => {
    const t = signReceiptToken(KEY, claims);
    expect(verifyReceiptToken('o'.repeat(40), t, NOW)).toEqual(E.left('forged'));
    const [, sig] = t.split('.');
    for (const edit of [{ u: 'mallory' }, { m: 'm2' }, { x: Math.ceil((NOW + 1e12) / 1000) }]) {
      const body = Buffer.from(
        JSON.stringify({ v: 1, m: 'm1', u: 'alice', c: 'webpush', x: Math.ceil(claims.expiresAt / 1000), ...edit }),
      ).toString('base64url');
      expect(verifyReceiptToken(KEY, `${body}.${sig ?? ''}`, NOW)).toEqual(E.left('forged'));
    }
  });
  it('refuses garbage as malformed without parsing it', () => {
    for (const t of ['', 'abc', 'a.b', `${'a'.repeat(2000)}.${'b'.repeat(43)}`, 'eyJ9.!!'])
      expect(verifyReceiptToken(KEY, t, NOW)).toEqual(E.left('malformed'));
  });
});
