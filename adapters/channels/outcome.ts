import type { Content, OutgoingMessage, Outcome } from '../../ports/channel.js';

// Outcome constructors and content helpers shared by the channel adapters.
export const delivered = (providerId?: string): Outcome =>
  providerId === undefined ? { kind: 'delivered' } : { kind: 'delivered', providerId };
export const retry = (afterMs: number, reason: string): Outcome => ({
  kind: 'retry',
  afterMs: Math.max(0, Math.round(afterMs)),
  reason,
});
/** A retry because the provider cannot be reached (not this delivery's fault): patience until expiry. */
export const unreachable = (afterMs: number, reason: string): Outcome => ({
  kind: 'retry',
  afterMs: Math.max(0, Math.round(afterMs)),
  reason,
  unreachable: true,
});
export const failed = (reason: string): Outcome => ({ kind: 'failed', reason });
export const gone = (reason: string): Outcome => ({ kind: 'gone', reason });

/** The message a single-message channel shows for a content: the message, or the digest's newest. */
export const leadOf = (c: Content): OutgoingMessage => (c.kind === 'message' ? c.message : c.messages[0]);
export const countOf = (c: Content): number => (c.kind === 'message' ? 1 : c.messages.length);
