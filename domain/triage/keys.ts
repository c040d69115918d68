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
