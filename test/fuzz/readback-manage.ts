import { differs, type ReadBack, type WriteContext } from './readback.js';

// Read-back rules of the management API and the seed systems' compatibility routes (issue 14).
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const path = (s: string): string => encodeURIComponent(s);

const devicesOf = async (c: WriteContext, uid: string): Promise<Obj[]> => {
  const got = await c.reader.admin(`/api/v2/users/${path(uid)}/devices`);
  return ((obj(got.json)['devices'] ?? []) as unknown[]).map(obj);
};

/** A removed device (by id) is no longer listed for its user. */
const removeDevice: ReadBack = async (c) => {
  const uid = c.params['uid'] ?? c.uid;
  const id = c.params['deviceId'] ?? '';
  const listed = (await devicesOf(c, uid)).some((d) => d['deviceId'] === id);
  return listed ? [`device ${id} removed with 2xx is still listed for ${uid}`] : [];
};

/** Logout names the device by its enlist body: no device of the caller matches it any more. */
const logout: ReadBack = async (c) => {
  const same = (d: Obj): boolean =>
    'endpoint' in c.sent
      ? d['endpoint'] === c.sent['endpoint']
      : d['token'] === c.sent['token'] && d['os'] === c.sent['os'];
  const still = (await devicesOf(c, c.uid)).some((d) => same(obj(d['device'])));
  return still ? [`the device logged out is still listed for ${c.uid}`] : [];
};

/** The settings sent are the thread's settings now (read as an admin: a closed thread stays readable to them). */
const threadSettings: ReadBack = async (c) => {
  const tid = c.params['tid'] ?? '';
  const got = await c.reader.admin(`/api/v2/threads/${path(tid)}`);
  if (got.status !== 200) return [`GET thread ${tid} as an admin: ${got.status} ${got.text.slice(0, 200)}`];
  const t = obj(got.json);
  const problems: string[] = [];
  // Opening or closing a thread changes who may see it: the existence oracle must know.
  const facts = c.world.threads.get(tid);
  if (facts !== undefined && typeof c.sent['opens'] === 'boolean') facts.opens = c.sent['opens'];
  for (const k of ['opens', 'openp']) if (c.sent[k] !== undefined) problems.push(...differs(k, t[k], c.sent[k]));
  // An empty name is no name (domain/thread.ts compares against `name ?? ''`): absent or '' both read right.
  if (c.sent['name'] !== undefined && !(c.sent['name'] === '' && (t['name'] === undefined || t['name'] === '')))
    problems.push(...differs('name', t['name'], c.sent['name']));
  return problems;
};

/** The member holds none of the removed roles (one with `?role=`, else every role) in the thread's events. */
const removeMember: ReadBack = async (c) => {
  const tid = c.params['tid'] ?? '';
  const uid = c.params['uid'] ?? '';
  const events = await c.reader.stream(`thread-${tid}`);
  const roles = new Map<string, string>();
  for (const e of events)
    if (e.data['uid'] === uid && (e.type === 'ThreadMemberAdded' || e.type === 'ThreadMemberRemoved'))
      roles.set(String(e.data['role']), e.type);
  return [...roles]
    .filter(([, last]) => last === 'ThreadMemberAdded')
    .map(([role]) => `${uid} is still ${role} of ${tid}`);
};

/** The fuzzer holds no receipt key: any token it sends is forged, and a 2xx for one is a hole. */
const pushReceipt: ReadBack = (c) =>
  Promise.resolve([`a receipt token the fuzzer made up was accepted: ${String(c.sent['token']).slice(0, 80)}`]);

/** onadata: the message reads back by its id (a log position) with the text and author sent. */
const onadataPost =
  (base: string): ReadBack =>
  async (c) => {
    const a = obj(c.answer.json);
    const id = a['id'];
    if (typeof id !== 'number') return [`answer has no numeric id: ${c.answer.text.slice(0, 200)}`];
    const got = await c.reader.as(c.uid, c.roles, 'GET', `${base}/${id}`);
    if (got.status !== 200)
      return [`GET ${base}/${id} as its author ${c.uid}: ${got.status} ${got.text.slice(0, 200)}`];
    const m = obj(got.json);
    // Not added to the world: its thread (xform:/project:) has members the world does not model.
    return [...differs('message', m['message'], c.sent['message']), ...differs('user', m['user'], c.uid)];
  };

/** onadata DELETE: the author's or an admin's delete retracts (404 after); anyone else's only leaves their inbox. */
const onadataDelete =
  (base: string): ReadBack =>
  async (c) => {
    const pk = c.params['pk'] ?? '';
    const got = await c.reader.admin(`${base}/${path(pk)}`);
    if (got.status === 404) return [];
    const author = obj(got.json)['user'];
    return author === c.uid || c.roles.includes('admin')
      ? [`message ${pk} deleted by its author or an admin still answers ${got.status}`]
      : [];
  };

/** /notify: one multicast; the sender reads it back with the content sent, and every user named is a recipient. */
const notify: ReadBack = async (c) => {
  const mid = c.answer.headers['x-message-id'];
  if (mid === undefined || mid === '') return ['answered 2xx without X-Message-Id'];
  const got = await c.reader.as(c.uid, c.roles, 'GET', `/api/v2/messages/${path(mid)}`);
  if (got.status !== 200) return [`GET /api/v2/messages/${mid} as the sender: ${got.status} ${got.text.slice(0, 200)}`];
  const users = Array.isArray(c.sent['users']) ? c.sent['users'].map((u) => String(obj(u)['id'])) : [];
  for (const u of users) c.world.addUser(u);
  c.world.addMessage({
    mid,
    from: c.uid,
    msg: String(c.sent['content']),
    broadcast: false,
    live: true,
    tid: undefined,
  });
  return differs('msg', obj(got.json)['msg'], c.sent['content']);
};

/**
 * An erased user (docs/gdpr.md) has nothing personal left in their profile, their stream ends
 * with UserErased, and the messages sent to them alone read as erased from now on (the world
 * is told, so the end-of-run check expects that text).
 */
const erase: ReadBack = async (c) => {
  const uid = c.params['uid'] ?? '';
  const problems: string[] = [];
  const got = await c.reader.admin(`/api/v2/users/${path(uid)}/profile`);
  if (got.status !== 200) return [`GET profile of erased ${uid}: ${got.status} ${got.text.slice(0, 200)}`];
  const p = obj(got.json);
  for (const k of ['email', 'cell']) problems.push(...differs(k, p[k], null));
  problems.push(...differs('attributes', p['attributes'], {}), ...differs('devices', p['devices'], []));
  const events = await c.reader.stream(`user-${uid}`);
  if (!events.some((e) => e.type === 'UserErased')) problems.push(`no UserErased in user-${uid} after a 2xx erase`);
  for (const m of c.world.messages.values()) if (m.to === uid) c.world.addMessage({ ...m, msg: '[erased]' });
  return problems;
};

export const manageRules: Readonly<Record<string, ReadBack>> = {
  'DELETE /api/v2/devices/{deviceId}': removeDevice,
  'DELETE /api/v2/users/{uid}/devices/{deviceId}': removeDevice,
  'POST /api/v2/logout': logout,
  'POST /api/v2/threads/{tid}/settings': threadSettings,
  'DELETE /api/v2/threads/{tid}/members/{uid}': removeMember,
  'POST /api/v2/receipts/push': pushReceipt,
  'POST /api/messaging': onadataPost('/api/messaging'),
  'POST /api/v1/messaging': onadataPost('/api/v1/messaging'),
  'DELETE /api/messaging/{pk}': onadataDelete('/api/messaging'),
  'DELETE /api/v1/messaging/{pk}': onadataDelete('/api/v1/messaging'),
  'POST /notify': notify,
  'POST /api/v2/users/{uid}/erase': erase,
};
