import { differs, type ReadBack, type WriteContext } from './readback.js';
import { recheckWorld } from './world-check.js';

// Read-back rules of threads, memberships, devices, profiles, receipts and the admin rebuild.
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const dedupe = (xs: string[]): string[] => [...new Set(xs)];
const path = (s: string): string => encodeURIComponent(s);

const createThread: ReadBack = async (c) => {
  const tid = obj(c.answer.json)['tid'];
  if (typeof tid !== 'string') return [`answer has no tid: ${c.answer.text.slice(0, 200)}`];
  const problems = c.sent['tid'] === undefined ? [] : differs('tid', tid, c.sent['tid']);
  const got = await c.reader.as(c.uid, c.roles, 'GET', `/api/v2/threads/${path(tid)}`);
  if (got.status !== 200)
    return [...problems, `GET thread ${tid} as its creator: ${got.status} ${got.text.slice(0, 200)}`];
  const t = obj(got.json);
  problems.push(...differs('owner', t['owner'], c.uid));
  for (const k of ['name', 'opens', 'openp', 'urgency'])
    if (c.sent[k] !== undefined) problems.push(...differs(k, t[k], c.sent[k]));
  // Lists of types and channels are sets (domain/thread-settings.ts drops repeats, keeping the first).
  for (const k of ['mtypes', 'channels', 'fallback'])
    if (Array.isArray(c.sent[k])) problems.push(...differs(k, t[k], dedupe(strings(c.sent[k]))));
  c.world.addThread(tid, { owner: c.uid, opens: c.sent['opens'] === true });
  return problems;
};

/** A member (any role) reads the thread's messages; a stranger would get 404. */
const canRead = async (c: WriteContext, tid: string, uid: string, roles: string[]): Promise<string[]> => {
  const got = await c.reader.as(uid, roles, 'GET', `/api/v2/threads/${path(tid)}/messages?limit=1`);
  return got.status === 200
    ? []
    : [`${uid} may not read thread ${tid}'s messages: ${got.status} ${got.text.slice(0, 200)}`];
};

const addMember: ReadBack = async (c) => {
  const tid = c.params['tid'] ?? '';
  const uid = String(c.sent['uid']);
  const role = String(c.sent['role']);
  c.world.addUser(uid);
  const problems = await canRead(c, tid, uid, []);
  const list = role === 'admin' ? 'admins' : role === 'publisher' ? 'publishers' : undefined;
  if (list !== undefined) {
    const t = obj((await c.reader.admin(`/api/v2/threads/${path(tid)}`)).json);
    if (!strings(t[list]).includes(uid)) problems.push(`${uid} is not among thread ${tid}'s ${list}`);
  }
  return problems;
};

const subscribe: ReadBack = (c) => canRead(c, String(c.sent['tid']), c.uid, c.roles);

/** The subscriber membership's last event says removed (or there never was one). */
const unsubscribe: ReadBack = async (c) => {
  const tid = String(c.sent['tid']);
  const uid = typeof c.sent['uid'] === 'string' ? c.sent['uid'] : c.uid;
  const events = await c.reader.stream(`thread-${tid}`);
  const last = events
    .filter((e) => e.data['uid'] === uid && e.data['role'] === 'subscriber')
    .filter((e) => e.type === 'ThreadMemberAdded' || e.type === 'ThreadMemberRemoved')
    .at(-1);
  return last === undefined || last.type === 'ThreadMemberRemoved'
    ? []
    : [`${uid} is still a subscriber of ${tid} (${last.type})`];
};

const enlist: ReadBack = async (c) => {
  const got = await c.reader.as(c.uid, c.roles, 'GET', `/api/v2/users/${path(c.uid)}/devices`);
  const devices = (obj(got.json)['devices'] ?? []) as { device?: Obj }[];
  const same = (d: Obj): boolean =>
    'endpoint' in c.sent
      ? d['endpoint'] === c.sent['endpoint'] && differs('', d['keys'], c.sent['keys']).length === 0
      : d['token'] === c.sent['token'] && d['os'] === c.sent['os'];
  return devices.some((d) => same(obj(d.device))) ? [] : [`device not listed for ${c.uid}: ${got.text.slice(0, 300)}`];
};

/** The latest event of `type` in the user's stream that carries `field` (and matches `where`). */
const latest = (
  events: readonly { type: string; data: Obj }[],
  type: string,
  field: string,
  where: (d: Obj) => boolean = () => true,
): unknown => events.filter((e) => e.type === type && field in e.data && where(e.data)).at(-1)?.data[field];

const profile: ReadBack = async (c) => {
  const uid = typeof c.sent['uid'] === 'string' ? c.sent['uid'] : c.uid;
  // Opened: contact points, attributes and time preferences are sealed in the log (docs/gdpr.md).
  const events = await c.reader.opened(uid);
  const problems: string[] = [];
  const s = c.sent;
  if ('email' in s)
    problems.push(
      ...differs(
        'email',
        latest(events, 'ContactPointsChanged', 'email') ?? null,
        typeof s['email'] === 'string' ? s['email'].trim() : null,
      ),
    );
  if ('cell' in s)
    problems.push(
      ...differs(
        'cell',
        latest(events, 'ContactPointsChanged', 'cell') ?? null,
        typeof s['cell'] === 'string' ? s['cell'].replace(/[\s().-]/g, '') : null,
      ),
    );
  // No preference event yet is the empty list: setting [] then changes nothing, and records nothing.
  if ('channels' in s)
    problems.push(
      ...differs(
        'channels',
        latest(events, 'ChannelPreferencesChanged', 'channels', (d) => !('tid' in d)) ?? [],
        dedupe(strings(s['channels'])),
      ),
    );
  const thread = obj(s['thread']);
  if ('thread' in s)
    problems.push(
      ...differs(
        'thread.channels',
        latest(events, 'ChannelPreferencesChanged', 'channels', (d) => d['tid'] === thread['tid']) ?? [],
        dedupe(strings(thread['channels'])),
      ),
    );
  if ('attributes' in s)
    problems.push(
      ...differs('attributes', latest(events, 'UserAttributesChanged', 'attributes') ?? {}, s['attributes']),
    );
  for (const field of ['timezone', 'quietHours'] as const)
    if (field in s) problems.push(...differs(field, latest(events, 'TimePreferencesChanged', field) ?? null, s[field]));
  return problems;
};

const ack: ReadBack = async (c) => {
  const mids = strings(c.sent['mids']);
  const status = typeof c.sent['status'] === 'string' ? c.sent['status'] : 'delivered';
  const events = await c.reader.stream(`inbox-${c.uid}`);
  const recorded = new Set(
    events
      .filter((e) => e.type === 'MessagesAcknowledged' && e.data['status'] === status)
      .flatMap((e) => strings(e.data['mids'])),
  );
  const problems = mids.filter((m) => !recorded.has(m)).map((m) => `no ${status} receipt of ${m} in inbox-${c.uid}`);
  if (status === 'seen' || status === 'read') {
    const inbox = await c.reader.inbox(c.uid, c.roles);
    for (const m of inbox)
      if (mids.includes(String(m['mid'])) && m[status] !== true)
        problems.push(`inbox shows ${String(m['mid'])} not ${status}`);
  }
  return problems;
};

const read: ReadBack = async (c) => {
  const mid = String(c.sent['mid']);
  const inbox = await c.reader.inbox(c.uid, c.roles);
  const m = inbox.find((x) => x['mid'] === mid);
  const inThread = c.sent['tid'] === undefined || m?.['tid'] === c.sent['tid'];
  return m !== undefined && inThread && m['read'] !== true ? [`inbox shows ${mid} unread after read`] : [];
};

const inboxDelete: ReadBack = async (c) => {
  const mids = strings(c.sent['mids']);
  const inbox = await c.reader.inbox(c.uid, c.roles);
  return inbox
    .filter((m) => mids.includes(String(m['mid'])))
    .map((m) => `deleted ${String(m['mid'])} is still in ${c.uid}'s inbox`);
};

/** A rebuild replays the log into a new generation of the read models: wait for it, then everything read back before reads back again. */
const rebuild: ReadBack = async (c) => {
  for (let i = 0; i < 600; i += 1) {
    const stats = obj((await c.reader.admin('/api/v2/admin/stats')).json);
    const r = obj(stats['rebuild']);
    if (r['running'] === false)
      return typeof r['finishedAt'] === 'string'
        ? recheckWorld(c.reader, c.world, 30)
        : [`rebuild ended without finishedAt: ${JSON.stringify(r)}`];
    await new Promise((res) => setTimeout(res, 100));
  }
  return ['rebuild still running after 60 s'];
};

export const otherRules: Readonly<Record<string, ReadBack>> = {
  'POST /api/v2/threads': createThread,
  'POST /api/v2/threads/{tid}/members': addMember,
  'POST /api/v2/subscribe': subscribe,
  'POST /api/v2/unsubscribe': unsubscribe,
  'POST /api/v2/enlist': enlist,
  'POST /api/v1/native/subscribe': enlist,
  'POST /api/v2/profile': profile,
  'POST /api/v2/ack': ack,
  'POST /api/v2/read': read,
  'POST /api/v2/inbox/delete': inboxDelete,
  'POST /api/v2/admin/rebuild': rebuild,
  // A retry of the dead letters is a rebuild (with the events that still fail quarantined again).
  'POST /api/v2/admin/dead-letters/retry': rebuild,
};
