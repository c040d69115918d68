import { asMessageId, asUserId } from '../../schema/ids.js';
import { signReceiptToken } from '../../schema/receipt-token.js';
import type { Delivery, Recipient } from '../../ports/channel.js';
import { leadOf } from './outcome.js';

// The receipt token a push mapper puts in its payload (schema/receipt-token.ts): one per
// delivery, for its lead message, its recipient and its channel. Absent unless the node has a
// receipt key (MSGXC_RECEIPT_SECRET): payloads then stay exactly as they were.
export type ReceiptSigner = (d: Delivery<Recipient & { readonly uid: string }>) => string;

export const receiptSigner =
  (key: string, ttlSec: number, now: () => number): ReceiptSigner =>
  (d) =>
    signReceiptToken(key, {
      mid: asMessageId(leadOf(d.content).mid),
      uid: asUserId(d.to.uid),
      channel: d.to.channel,
      expiresAt: now() + ttlSec * 1000,
    });

/** The token for `d`, or undefined without a signer. */
export const receiptOf = (
  sign: ReceiptSigner | undefined,
  d: Delivery<Recipient & { readonly uid: string }>,
): string | undefined => (sign === undefined ? undefined : sign(d));
