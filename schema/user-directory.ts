import type { JsonValue } from './json.js';

// The user directory's documents (the search port's `users` set): what segments select on.
// Tags, locale and timezone are reserved keys of the profile's `attributes` object (set by
// POST /api/v2/profile or the import), so the profile keeps one attribute event; every other
// top-level attribute holding a scalar, or a list of scalars, is indexed as (key, value) pairs.

/** One indexed attribute value: `s` is the typed text (`s:pro`, `n:42`, `b:true`), `n` the number when numeric. */
export interface AttrPair {
  readonly k: string;
  readonly s: string;
  readonly n: number | null;
}

/** What a user can be reached on besides the websocket: their devices' channels, email and SMS. */
export const REACHABLE_CHANNELS = ['apns', 'email', 'fcm', 'sms', 'webpush'] as const;

export interface UserDevice {
  readonly id: string;
  readonly channel: string;
}

export interface UserDoc {
  readonly uid: string;
  readonly tags: readonly string[];
  readonly locale: string | null;
  readonly timezone: string | null;
  readonly attrs: readonly AttrPair[];
  readonly devices: readonly UserDevice[];
  readonly email: boolean;
  readonly cell: boolean;
  /** User-level opt-outs (`~email` in the channel preferences), without the `~`. */
  readonly optedOut: readonly string[];
  /** Channels the user can be reached on now: device channels, email, sms, minus opt-outs. */
  readonly channels: readonly string[];
  /** ISO instant of the end of the last check-in interval the user was online in. */
  readonly lastSeen: string | null;
}

export const DIRECTORY_LIMITS = {
  /** Attribute names that are indexed (longer ones are kept in the profile, not indexed). */
  key: 64,
  /** String values longer than this are not indexed. */
  value: 256,
  /** Indexed pairs per user. */
  pairs: 128,
  tags: 64,
} as const;

export const RESERVED_ATTRIBUTES = ['tags', 'locale', 'timezone'] as const;
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

export const emptyUser = (uid: string): UserDoc => ({
  uid,
  tags: [],
  locale: null,
  timezone: null,
  attrs: [],
  devices: [],
  email: false,
  cell: false,
  optedOut: [],
  channels: [],
  lastSeen: null,
});

export type Scalar = string | number | boolean;

/** The typed text of a scalar, so `"42"` and `42` and `true` and `"true"` never match each other. */
export const typedText = (v: Scalar): string =>
  typeof v === 'string' ? `s:${v}` : typeof v === 'number' ? `n:${String(v)}` : `b:${String(v)}`;

const isScalar = (v: JsonValue): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

const pair = (k: string, v: Scalar): AttrPair | undefined =>
  typeof v === 'string' && v.length > DIRECTORY_LIMITS.value
    ? undefined
    : { k, s: typedText(v), n: typeof v === 'number' ? v : null };

const byKey = (a: AttrPair, b: AttrPair): number =>
  a.k < b.k ? -1 : a.k > b.k ? 1 : a.s < b.s ? -1 : a.s > b.s ? 1 : 0;

/** The indexed pairs of an attribute object, sorted and unique, at most DIRECTORY_LIMITS.pairs. */
export const attributePairs = (attributes: Readonly<Record<string, JsonValue>>): AttrPair[] => {
  const out = new Map<string, AttrPair>();
  for (const [k, v] of Object.entries(attributes)) {
    if ((RESERVED_ATTRIBUTES as readonly string[]).includes(k) || !ATTRIBUTE_NAME.test(k)) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (!isScalar(x)) continue;
      const p = pair(k, x);
      if (p !== undefined) out.set(`${p.k}\0${p.s}`, p);
    }
  }
  return [...out.values()].sort(byKey).slice(0, DIRECTORY_LIMITS.pairs);
};

export const attributeTags = (attributes: Readonly<Record<string, JsonValue>>): string[] => {
  const v = attributes['tags'];
  if (!Array.isArray(v)) return [];
  const tags = v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= DIRECTORY_LIMITS.key);
  return [...new Set(tags)].sort().slice(0, DIRECTORY_LIMITS.tags);
};

export const attributeText = (attributes: Readonly<Record<string, JsonValue>>, key: string): string | null => {
  const v = attributes[key];
  return typeof v === 'string' && v.length > 0 && v.length <= DIRECTORY_LIMITS.key ? v : null;
};
