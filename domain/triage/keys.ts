// Stream names and keys derived from what they are about, never from a clock or a random id,
// so that a reactor replaying after a crash lands on the same stream and its expected
// revision refuses a second copy. `/` is not allowed in ids (schema/ids.ts), so the parts
// of a key cannot run into each other.

export const triageStream = (mid: string): string => `triage-${mid}`;

export interface StepRef {
  readonly mid: string;
  readonly uid: string;
  readonly channel: string;
  readonly deviceId?: string;
}

export const stepKey = (s: StepRef): string =>
  s.deviceId === undefined ? `${s.mid}/${s.uid}/${s.channel}` : `${s.mid}/${s.uid}/${s.channel}/${s.deviceId}`;

/** One digest per user, channel and window. */
export const digestKey = (uid: string, channel: string, windowStart: number): string =>
  `${uid}/${channel}/${new Date(windowStart).toISOString()}`;

export const deliveryStream = (key: string): string => `delivery-${key}`;
export const digestStream = (key: string): string => `digest-${key}`;

/**
 * The stream of the steps of one channel of one triage batch (issues 13, 15): claims, skips
 * and outcomes of many recipients at once, each a batched event guarded by this stream's
 * revision (schema/triage-events.ts DeliveriesClaimed, DeliveriesSent, DeliveriesSkipped).
 */
export const groupStream = (mid: string, channel: string, batch: number): string =>
  `deliveries-${mid}/${channel}/${String(batch)}`;
export const isGroupStream = (stream: string): boolean => stream.startsWith('deliveries-');
