import * as t from 'io-ts';

// Personal data in the log (docs/gdpr.md): which fields of which events belong to which
// person, how such a field is stored (sealed with that person's data key), and what it reads
// as once the key is destroyed. Pure: the sealing itself is the log decorator's
// (adapters/eventstore/sealed.ts), which asks this module what to seal and what to redact.

/** A field as stored: AES-256-GCM under the owner's data key `kid`; iv and ct (with the tag) in base64. */
export const SealedField = t.type({ enc: t.literal('v1'), kid: t.string, iv: t.string, ct: t.string }, 'SealedField');
export type SealedField = t.TypeOf<typeof SealedField>;

/** Names the fields of an event that read as their redaction value (their key was destroyed). */
export const REDACTED = 'redacted';

// What a sealed field reads as when its key is gone: a value the event's codec accepts, so an
// erased user's events still decode (no crash, no dead letter) and fold to nothing readable.
// `erased.invalid` cannot resolve (RFC 2606); the user's UserErased event drops the device anyway.
const ERASED_DEVICE = {
  endpoint: 'https://erased.invalid/',
  keys: { p256dh: 'erased', auth: 'erased' },
};
export const ERASED_TEXT = '[erased]';

interface FieldRule {
  readonly field: string;
  readonly redacted: unknown;
}
const rule = (field: string, redacted: unknown): FieldRule => ({ field, redacted });

// The personal fields, by event type. Ids (uid, device ids, which are hashes of tokens) stay
// plain: they are how the log is addressed and how an erasure names its subject.
const RULES: Readonly<Record<string, readonly FieldRule[]>> = {
  ContactPointsChanged: [rule('email', null), rule('cell', null)],
  UserAttributesChanged: [rule('attributes', {})],
  DeviceEnlisted: [rule('device', ERASED_DEVICE)],
  // Where the person lives and when they sleep; null reads as "cleared" (the codec's own meaning).
  TimePreferencesChanged: [rule('timezone', null), rule('quietHours', null)],
  // Only a message addressed to one person is that person's (ownerOf below).
  MessagePublished: [rule('msg', ERASED_TEXT), rule('subject', ''), rule('opts', {})],
};

const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined;

/**
 * Whether events of `type` may carry personal data at all: asked before `data` is touched, so a
 * store that parses `data` when it is first read (adapters/eventstore/sqlite-tables.ts) does not
 * parse every event it passes on (a MessageTriaged of 500 uids was parsed for this question alone).
 */
export const mayCarryPersonal = (type: string): boolean => RULES[type] !== undefined;

/** Whose personal data the event carries, or undefined when it carries none (or not one person's). */
export const ownerOf = (type: string, data: unknown): string | undefined => {
  // The type first: a store may parse `data` only when it is read (adapters/eventstore/sqlite-tables.ts).
  if (RULES[type] === undefined) return undefined;
  const d = record(data);
  if (d === undefined) return undefined;
  if (type === 'MessagePublished') {
    const audience = record(d.audience);
    return audience?.kind === 'user' && typeof audience.uid === 'string' ? audience.uid : undefined;
  }
  return typeof d.uid === 'string' ? d.uid : undefined;
};

/** The personal fields `data` holds (present, not undefined) for an event of `type`. */
export const personalFields = (type: string, data: unknown): readonly FieldRule[] => {
  const d = record(data);
  if (d === undefined) return [];
  return (RULES[type] ?? []).filter((r) => d[r.field] !== undefined);
};

/** Additional data bound to a sealed field: an envelope copied to another person, event or field does not open. */
export const sealContext = (owner: string, type: string, field: string): string => `msgxc/v1|${owner}|${type}|${field}`;

export const isSealed = (u: unknown): u is SealedField => SealedField.is(u);

/** The event types whose fields may be sealed (for docs, export and tests). */
export const PERSONAL_FIELDS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(RULES).map(([type, rules]) => [type, rules.map((r) => r.field)]),
);
