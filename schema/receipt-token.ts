import { createHmac, timingSafeEqual } from 'node:crypto';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { MessageId, UserId } from './ids.js';

// The receipt token a push carries, so the device can report "delivered" or "clicked" without
// the user's session (a service worker, a notification extension): an HMAC-SHA256 over claims
// binding one message, one user and the channel it came over, with an expiry. The channel
// mappers sign it (adapters/channels/), the receipt route verifies it (api/routes/receipts.ts):
// one definition for both ends, here beside the codec of its claims.
//
//   <base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "msgxc-receipt.v1." + claims part))>
//   claims: { v: 1, m: mid, u: uid, c: channel, x: expiry in epoch seconds }
//
// It proves the broker sent this message to this user over this channel; it grants nothing
// else (it is no session: it can record a receipt for that one message, and only until `x`).
export const RECEIPT_CHANNELS = ['webpush', 'fcm', 'apns', 'email', 'sms', 'mqtt'] as const;
export const ReceiptTokenChannel = t.keyof(
  { webpush: null, fcm: null, apns: null, email: null, sms: null, mqtt: null },
  'ReceiptTokenChannel',
);
export type ReceiptTokenChannel = t.TypeOf<typeof ReceiptTokenChannel>;

const Claims = t.type(
  {
    v: t.literal(1),
    m: MessageId,
    u: UserId,
    c: ReceiptTokenChannel,
    x: t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'epoch seconds'),
  },
  'ReceiptClaims',
);

export interface ReceiptClaims {
  readonly mid: MessageId;
  readonly uid: UserId;
  readonly channel: ReceiptTokenChannel;
  /** Epoch milliseconds after which the token is refused. */
  readonly expiresAt: number;
}

export type ReceiptTokenError = 'malformed' | 'forged' | 'expired';

/** Longest token accepted: a mid and a uid of 128 characters each fit with room to spare. */
export const MAX_RECEIPT_TOKEN = 1024;

const mac = (key: string, body: string): Buffer =>
  createHmac('sha256', key).update(`msgxc-receipt.v1.${body}`).digest();

export const signReceiptToken = (key: string, c: ReceiptClaims): string => {
  const body = Buffer.from(
    JSON.stringify({ v: 1, m: c.mid, u: c.uid, c: c.channel, x: Math.ceil(c.expiresAt / 1000) }),
  ).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
};

export const verifyReceiptToken = (
  key: string,
  token: string,
  nowMs: number,
): E.Either<ReceiptTokenError, ReceiptClaims> => {
  if (token.length > MAX_RECEIPT_TOKEN || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(token))
    return E.left('malformed');
  const [body = '', sig = ''] = token.split('.');
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, body);
  // The signature is checked before the claims are even parsed: a forger learns nothing else.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return E.left('forged');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return E.left('malformed');
  }
  const claims = Claims.decode(raw);
  if (E.isLeft(claims)) return E.left('malformed');
  const c = claims.right;
  if (c.x * 1000 <= nowMs) return E.left('expired');
  return E.right({ mid: c.m, uid: c.u, channel: c.c, expiresAt: c.x * 1000 });
};
