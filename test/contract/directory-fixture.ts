import type { DomainEvent } from '../../schema/events.js';
import type { DeviceId, MessageId, UserId } from '../../schema/ids.js';
import type { SegmentQuery } from '../../schema/segment-query.js';
import type { Scalar } from '../../schema/user-directory.js';

// A population of directory users made from a seed, the events that make them, and an
// independent reading of a segment query over the population itself (not over any engine's
// documents): what both engines must select.

export interface Person {
  readonly uid: string;
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, Scalar | readonly Scalar[]>>;
  readonly email: boolean;
  readonly cell: boolean;
  readonly optOut: readonly string[];
  /** Devices still enlisted, by channel; a revoked one is enlisted and then revoked. */
  readonly devices: readonly ('apns' | 'fcm' | 'webpush')[];
  readonly revoked: boolean;
  /** Milliseconds after the base time of the user's receipt, if any. */
  readonly activeAt: number | null;
}

const PLANS = ['free', 'pro', 'team'] as const;
const TAGS = ['beta', 'vip', 'churn'] as const;

const rng = (seed: number) => {
  let x = seed >>> 0 || 1;
  return (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
};

export const people = (n: number, seed = 7): Person[] => {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  return Array.from({ length: n }, (_, i) => {
    const devices = (['apns', 'fcm', 'webpush'] as const).filter(() => r() < 0.3);
    return {
      uid: `d${String(i).padStart(5, '0')}`,
      tags: TAGS.filter(() => r() < 0.35),
      attributes: {
        plan: pick(PLANS),
        seats: Math.floor(r() * 50) + 1,
        trial: r() < 0.5,
        ...(r() < 0.3 ? { langs: [pick(['en', 'de', 'fr']), pick(['es', 'it'])] } : {}),
        ...(r() < 0.2 ? { code: '42' } : {}),
      },
      email: r() < 0.6,
      cell: r() < 0.3,
      optOut: r() < 0.2 ? ['email'] : [],
      devices,
      revoked: r() < 0.2,
      activeAt: r() < 0.6 ? Math.floor(r() * 10) * 3_600_000 : null,
    };
  });
};

const u = (s: string) => s as UserId;

/** The events that make `p`, each with its time offset (ms after the base time). */
export const personEvents = (p: Person): [DomainEvent, number][] => {
  const out: [DomainEvent, number][] = [];
  const attributes = { ...p.attributes, tags: [...p.tags], locale: 'en-GB' };
  out.push([{ type: 'UserAttributesChanged', data: { uid: u(p.uid), attributes } }, 0]);
  out.push([{ type: 'TimePreferencesChanged', data: { uid: u(p.uid), timezone: 'Europe/Berlin' } }, 0]);
  if (p.email || p.cell)
    out.push([
      {
        type: 'ContactPointsChanged',
        data: {
          uid: u(p.uid),
          ...(p.email ? { email: `${p.uid}@example.org` } : {}),
          ...(p.cell ? { cell: '+14155550100' } : {}),
        },
      },
      0,
    ]);
  if (p.optOut.length > 0)
    out.push([
      { type: 'ChannelPreferencesChanged', data: { uid: u(p.uid), channels: p.optOut.map((c) => `~${c}`) } },
      0,
    ]);
  const device = (c: string) =>
    c === 'webpush'
      ? { endpoint: 'https://push.example.org/x', keys: { p256dh: 'BPk', auth: 'au' } }
      : { os: c === 'apns' ? 'ios' : 'android', token: `tok-${c}` };
  // Enlisting is activity: devices are enlisted at time 0, before every receipt time.
  p.devices.forEach((c, i) =>
    out.push([
      {
        type: 'DeviceEnlisted',
        data: { uid: u(p.uid), deviceId: `${p.uid}-${i}` as DeviceId, device: device(c) },
      } as DomainEvent,
      0,
    ]),
  );
  if (p.revoked) {
    out.push([
      {
        type: 'DeviceEnlisted',
        data: { uid: u(p.uid), deviceId: `${p.uid}-x` as DeviceId, device: device('fcm') },
      } as DomainEvent,
      0,
    ]);
    out.push([
      { type: 'DeviceRevoked', data: { uid: u(p.uid), deviceId: `${p.uid}-x` as DeviceId, reason: 'gone' } },
      0,
    ]);
  }
  if (p.activeAt !== null)
    out.push([
      { type: 'MessagesAcknowledged', data: { uid: u(p.uid), mids: ['m-x' as MessageId], status: 'read' } },
      p.activeAt,
    ]);
  return out;
};

const valuesOf = (p: Person, k: string): Scalar[] => {
  const v = p.attributes[k];
  return v === undefined ? [] : Array.isArray(v) ? [...(v as Scalar[])] : [v as Scalar];
};

/** When `p` was last active (ms after base), or null: enlisting counts (at 0), as does a receipt. */
const lastActive = (p: Person): number | null =>
  p.activeAt !== null ? p.activeAt : p.devices.length > 0 || p.revoked ? 0 : null;

/** The reference answer: does `q` select `p`? `base` is the epoch ms of offset 0. */
export const selects = (q: SegmentQuery, p: Person, base: number): boolean => {
  if ('tag' in q) return p.tags.includes(q.tag);
  if ('channel' in q) {
    const reach = new Set<string>(p.devices);
    if (p.email) reach.add('email');
    if (p.cell) reach.add('sms');
    for (const c of p.optOut) reach.delete(c);
    return reach.has(q.channel);
  }
  if ('lastSeen' in q) {
    const a = lastActive(p);
    if (a === null) return false;
    const t = base + a;
    return (
      (q.lastSeen.after === undefined || t > Date.parse(q.lastSeen.after)) &&
      (q.lastSeen.before === undefined || t < Date.parse(q.lastSeen.before))
    );
  }
  if ('all' in q) return q.all.every((x) => selects(x, p, base));
  if ('any' in q) return q.any.some((x) => selects(x, p, base));
  if ('not' in q) return !selects(q.not, p, base);
  const vs = valuesOf(p, q.attribute);
  const same = (a: Scalar, b: Scalar) => typeof a === typeof b && a === b;
  if ('eq' in q) return vs.some((v) => same(v, q.eq));
  if ('in' in q) return vs.some((v) => q.in.some((w) => same(v, w)));
  if ('gt' in q) return vs.some((v) => typeof v === 'number' && v > q.gt);
  return vs.some((v) => typeof v === 'number' && v < q.lt);
};

export const SEGMENT_CASES = (base: number): SegmentQuery[] => {
  const iso = (h: number) => new Date(base + h * 3_600_000).toISOString();
  return [
    { tag: 'beta' },
    { attribute: 'plan', eq: 'pro' },
    { attribute: 'plan', in: ['pro', 'team'] },
    { attribute: 'seats', gt: 25 },
    { attribute: 'seats', lt: 10 },
    { attribute: 'trial', eq: true },
    { attribute: 'trial', eq: 'true' },
    { attribute: 'code', eq: 42 },
    { attribute: 'code', eq: '42' },
    { attribute: 'langs', eq: 'de' },
    { attribute: 'nothing', eq: 'x' },
    { lastSeen: { after: iso(4) } },
    { lastSeen: { after: iso(2), before: iso(7) } },
    { not: { lastSeen: { after: iso(4) } } },
    { channel: 'webpush' },
    { channel: 'email' },
    { channel: 'sms' },
    { channel: 'fcm' },
    { all: [{ tag: 'beta' }, { attribute: 'plan', eq: 'pro' }] },
    { any: [{ tag: 'vip' }, { attribute: 'seats', gt: 45 }] },
    { not: { tag: 'churn' } },
    { all: [] },
    { any: [] },
    {
      all: [{ any: [{ tag: 'beta' }, { tag: 'vip' }] }, { not: { channel: 'email' } }, { attribute: 'seats', lt: 40 }],
    },
  ];
};
