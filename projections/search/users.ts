import type { Followed } from '../../ports/follower.js';
import type { SearchOp, SearchWriter } from '../../ports/search.js';
import type { DomainEvent } from '../../schema/events.js';
import { isoInstant } from '../../schema/search-documents.js';
import { attributePairs, attributeTags, attributeText, emptyUser } from '../../schema/user-directory.js';
import type { UserDoc, UserDevice } from '../../schema/user-directory.js';

// The user directory's part of the search projection: user events -> whole user documents.
// Each batch reads the touched users' documents, folds the batch's events into them in log
// order and writes them whole (`putUser`), so a replayed batch writes the same documents.
// Last seen is the latest activity the log records for the user (recognised by a node, a
// device enlisted, a receipt or a read marker); the nodes' check-ins feed the online-time
// documents (checkins.ts), not last seen.

export const USER_EVENTS: readonly string[] = [
  'UserRecognized',
  'DeviceEnlisted',
  'DeviceRevoked',
  'ContactPointsChanged',
  'ChannelPreferencesChanged',
  'UserAttributesChanged',
  'TimePreferencesChanged',
  'MessagesAcknowledged',
  'LastReadMarked',
  'UserErased',
];

const deviceChannel = (e: Extract<DomainEvent, { type: 'DeviceEnlisted' }>): string =>
  'os' in e.data.device ? (e.data.device.os === 'ios' ? 'apns' : 'fcm') : 'webpush';

const reachable = (u: Omit<UserDoc, 'channels'>): string[] => {
  const all = new Set(u.devices.map((d) => d.channel));
  if (u.email) all.add('email');
  if (u.cell) all.add('sms');
  for (const c of u.optedOut) all.delete(c);
  return [...all].sort();
};

const seen = (u: UserDoc, at: string): UserDoc => ({
  ...u,
  lastSeen: u.lastSeen === null || at > u.lastSeen ? at : u.lastSeen,
});

/** One event folded into a user's document (the event concerns `u.uid`). */
export const evolveUser = (u: UserDoc, event: DomainEvent, occurredAt: string): UserDoc => {
  const at = isoInstant(occurredAt);
  switch (event.type) {
    case 'UserRecognized':
    case 'MessagesAcknowledged':
    case 'LastReadMarked':
      return seen(u, at);
    case 'DeviceEnlisted': {
      const device: UserDevice = { id: event.data.deviceId, channel: deviceChannel(event) };
      return seen({ ...u, devices: [...u.devices.filter((d) => d.id !== device.id), device] }, at);
    }
    case 'DeviceRevoked':
      return { ...u, devices: u.devices.filter((d) => d.id !== event.data.deviceId) };
    case 'ContactPointsChanged':
      return {
        ...u,
        ...(event.data.email === undefined ? {} : { email: event.data.email !== null }),
        ...(event.data.cell === undefined ? {} : { cell: event.data.cell !== null }),
      };
    case 'ChannelPreferencesChanged':
      // Per-thread preferences do not make a user unreachable in general.
      return event.data.tid !== undefined
        ? u
        : { ...u, optedOut: event.data.channels.filter((c) => c.startsWith('~')).map((c) => c.slice(1)) };
    case 'UserAttributesChanged': {
      const a = event.data.attributes;
      return {
        ...u,
        tags: attributeTags(a),
        locale: attributeText(a, 'locale'),
        attrs: attributePairs(a),
      };
    }
    // The profile's one time zone (POST /api/v2/profile or the import), the one triage uses.
    case 'TimePreferencesChanged':
      return event.data.timezone === undefined ? u : { ...u, timezone: event.data.timezone };
    default:
      return u;
  }
};

const uidOf = (e: DomainEvent): string | undefined => {
  if (!USER_EVENTS.includes(e.type)) return undefined;
  return 'uid' in e.data ? e.data.uid : undefined;
};

/**
 * The ops of a batch (none when it holds no user event): a dropUser for each user erased in it
 * (docs/gdpr.md), then a putUser for each document the batch touched after its last erasure, if
 * any (a user may come back: their new document starts empty).
 */
export const userOps = async (events: readonly Followed[], index: Pick<SearchWriter, 'users'>): Promise<SearchOp[]> => {
  const mine = events.flatMap((f) => {
    const uid = uidOf(f.event);
    return uid === undefined ? [] : [{ uid, f }];
  });
  if (mine.length === 0) return [];
  const stored = await index.users([...new Set(mine.map((m) => m.uid))]);
  const docs = new Map<string, UserDoc>(stored);
  const touched = new Set<string>();
  const erased = new Set<string>();
  for (const { uid, f } of mine) {
    if (f.event.type === 'UserErased') {
      docs.delete(uid);
      touched.delete(uid);
      erased.add(uid);
      continue;
    }
    const before = docs.get(uid) ?? emptyUser(uid);
    const after = evolveUser(before, f.event, f.metadata.occurredAt);
    docs.set(uid, { ...after, channels: reachable(after) });
    touched.add(uid);
  }
  return [
    ...[...erased].map((uid): SearchOp => ({ kind: 'dropUser', uid })),
    ...[...touched].flatMap((uid): SearchOp[] => {
      const doc = docs.get(uid);
      return doc === undefined ? [] : [{ kind: 'putUser', doc }];
    }),
  ];
};
