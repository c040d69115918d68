import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { signReceiptToken } from '../../schema/receipt-token.js';
import { readApiDoc, type Operation, type Schema } from '../fuzz/api-doc.js';
import { conforms } from '../fuzz/validate.js';
import { call, removeDir, startServer, token, type Reply, type Server } from './harness.js';

// Every operation that takes a JSON body, read from the server's own OpenAPI document: on
// /api/v2 a key the body's schema does not list is a 400 naming it with its path, at the top
// level and in every nested object the schema closes (`additionalProperties: false`), while
// the free-form objects (`opts`, profile `attributes`) take any key; the compatibility routes
// (/api/v1, onadata's, /notify) ignore unknown keys everywhere, as the systems they replace
// did. A route added to the document without a sample body here fails the first case.

const RECEIPT_SECRET = 'receipt-secret-0123456789-0123456789';
const EXTRA = 'zz_unknown';
type Body = Record<string, unknown>;

const isObject = (u: unknown): u is Body => typeof u === 'object' && u !== null && !Array.isArray(u);

/** The member of a oneOf the value is (the first that conforms), or the schema itself. */
const schemaOf = (value: unknown, schema: Schema | undefined): Schema | undefined => {
  if (schema === undefined) return undefined;
  const oneOf = schema['oneOf'];
  if (!Array.isArray(oneOf)) return schema;
  return (oneOf as Schema[]).find((s) => conforms(value, s).length === 0);
};

/** Every object of a sample body: its path (`variants.1`), the object, and whether its schema closes it. */
const objectsOf = (value: unknown, schema: Schema | undefined, path: string[] = []): [string[], boolean][] => {
  const s = schemaOf(value, schema);
  if (Array.isArray(value)) {
    const items = s?.['items'] as Schema | undefined;
    return value.flatMap((v, i) => objectsOf(v, items, [...path, String(i)]));
  }
  if (!isObject(value)) return [];
  const props = (s?.['properties'] ?? {}) as Record<string, Schema>;
  return [
    [path, s?.['additionalProperties'] === false],
    ...Object.entries(value).flatMap(([k, v]) => objectsOf(v, props[k], [...path, k])),
  ];
};

/** A deep copy of the body with an unknown key put into the object at `path`. */
const withExtra = (body: Body, path: readonly string[]): Body => {
  const copy = structuredClone(body);
  let at: unknown = copy;
  for (const k of path) at = (at as Record<string, unknown>)[k];
  (at as Body)[EXTRA] = 1;
  return copy;
};

/**
 * The body's text with the first key of the object at `path` written twice (the first time with
 * the value `first`), or undefined when that object has no key.
 */
const withRepeat = (body: Body, path: readonly string[], first: unknown): { text: string; key: string } | undefined => {
  const copy = structuredClone(body);
  let parent: Record<string, unknown> | undefined;
  let at: unknown = copy;
  for (const k of path) {
    parent = at as Record<string, unknown>;
    at = parent[k];
  }
  const entries = Object.entries(at as Body);
  const [key] = entries[0] ?? [];
  if (key === undefined) return undefined;
  const inner = JSON.stringify(at);
  const doubled = `{${JSON.stringify(key)}:${JSON.stringify(first)},${inner.slice(1)}`;
  if (parent === undefined) return { text: doubled, key };
  const MARK = '__repeat_here__';
  parent[path[path.length - 1] ?? ''] = MARK;
  return { text: JSON.stringify(copy).replace(JSON.stringify(MARK), doubled), key: [...path, key].join('.') };
};

describe('unknown keys in request bodies (every operation of the OpenAPI document that takes one)', () => {
  let server: Server;
  let root: string;
  let doc: ReturnType<typeof readApiDoc>;
  let samples: Record<string, (n: number) => Body[]>;
  const post = (path: string, body: Body): Promise<Reply> => call(server, 'POST', path, { token: root, body });
  const mid = async (body: Body): Promise<string> => {
    const r = await post('/api/v2/send', body);
    expect(r.status, r.text).toBe(200);
    return r.headers.get('x-message-id') ?? '';
  };

  beforeAll(async () => {
    server = await startServer({
      env: { MSGXC_RECEIPT_SECRET: RECEIPT_SECRET, MSGXC_LOG_LEVEL: 'warn', MSGXC_RATE_USER_WRITES: '10000:10000' },
    });
    root = await token('root', ['admin']);
    doc = readApiDoc((await call(server, 'GET', '/api/v2/openapi.json')).body);
    expect((await post('/api/v2/threads', { tid: 'lobby', opens: true })).status).toBe(201);
    expect((await post('/api/v2/profile', { uid: 'alice', attributes: { tags: ['vip'] } })).status).toBe(200);
    const segment = await post('/api/v2/segments', { name: 'vips', query: { tag: 'vip' } });
    expect(segment.status, segment.text).toBe(200);
    const segmentId = (segment.body as { id: string }).id;
    const inbox = await mid({ uid: 'root', msg: 'to ack' });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const receipt = signReceiptToken(RECEIPT_SECRET, {
      mid: asMessageId(inbox),
      uid: asUserId('root'),
      channel: 'webpush',
      expiresAt: Date.now() + 600_000,
    });
    const content = {
      msg: 'hello',
      opts: { urgency: 2, data: { key: 'whatever' } },
      subject: 'subject',
      scheduled: { at: '10:00', timezone: 'UTC', fallback: 'UTC' },
      variants: [
        { name: 'a', msg: 'A', weight: 1 },
        { name: 'b', msg: 'B', weight: 1, subject: 'B' },
      ],
    };
    const native = { os: 'ios', token: 'device-token-1' };
    const web = {
      endpoint: 'https://fcm.googleapis.com/fcm/send/abc',
      expirationTime: null,
      keys: { p256dh: 'BN81HfHxzt4V4lXDV', auth: '0ywNrBxQ' },
    };
    const profile = {
      uid: 'carol',
      email: 'carol@example.org',
      cell: null,
      channels: ['email'],
      thread: { tid: 'lobby', channels: ['email'] },
      attributes: { real_name: 'Carol', tags: ['x'] },
      timezone: 'Europe/Paris',
      quietHours: { from: '22:00', to: '07:00', timezone: 'UTC' },
    };
    // A function of a counter, for the routes whose valid body can be sent once only (a fresh tid).
    samples = {
      'POST /api/v2/publish': () => [{ tid: 'lobby', ...content }],
      'POST /api/v2/send': () => [{ uid: 'alice', ...content }],
      'POST /api/v2/multicast': () => [
        { uids: ['alice', 'bob'], ...content },
        { segment: segmentId, ...content },
        { query: { tag: 'vip' }, ...content },
      ],
      'POST /api/v2/broadcast': () => [content, { segment: segmentId, msg: 'm' }, { query: { tag: 'vip' }, msg: 'm' }],
      'POST /api/v2/cancel': () => [{ mid: scheduledMid }],
      'POST /api/v2/threads': (n) => [
        {
          tid: `t-${n}`,
          name: 'T',
          opens: true,
          openp: false,
          mtypes: ['chat'],
          urgency: 2,
          channels: ['websocket'],
          fallback: [],
        },
      ],
      'POST /api/v2/threads/{tid}/members': () => [{ uid: 'bob', role: 'subscriber' }],
      'POST /api/v2/threads/{tid}/settings': () => [{ name: 'Lobby', opens: true, openp: false }],
      'POST /api/v2/subscribe': () => [{ tid: 'lobby' }],
      'POST /api/v2/unsubscribe': () => [{ tid: 'lobby', uid: 'bob' }],
      'POST /api/v2/enlist': () => [native, web],
      'POST /api/v2/logout': () => [native, web],
      'POST /api/v2/profile': () => [profile],
      'POST /api/v2/ack': () => [{ mids: [inbox], status: 'seen', channel: 'api' }],
      'POST /api/v2/read': () => [{ mid: inbox }],
      'POST /api/v2/inbox/delete': () => [{ mids: [inbox] }],
      'POST /api/v2/receipts/push': () => [{ token: receipt, status: 'clicked' }],
      'POST /api/v2/segments': () => [{ name: 'vips', query: { tag: 'vip' } }],
      'POST /api/v2/users/import': () => [{ uid: 'dave', email: 'dave@example.org', tags: ['a'], attributes: {} }],
      // The compatibility surfaces.
      'POST /api/v1/send': () => [{ uid: 'alice', ...content }],
      'POST /api/v1/multicast': () => [{ uids: ['alice'], ...content }],
      'POST /api/v1/broadcast': () => [content],
      'POST /api/v1/native/subscribe': () => [native, web],
      'POST /api/messaging': () => [{ target_type: 'user', target_id: 'alice', message: 'hi' }],
      'POST /api/v1/messaging': () => [{ target_type: 'user', target_id: 'alice', message: 'hi' }],
      'POST /notify': () => [{ content: 'hi', users: [{ id: 'alice', email: null }], title: 't' }],
    };
    const scheduledMid = await mid({ uid: 'alice', msg: 'later', scheduled: later });
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });

  const bodyOps = (): Operation[] => doc.operations.filter((o) => o.body !== undefined);
  const pathOf = (o: Operation): string => o.path.replace('{tid}', 'lobby');
  // The user import takes NDJSON: an unknown field makes its line an error (named, by line), the other lines import.
  const isImport = (o: Operation): boolean => o.path === '/api/v2/users/import';

  it('every operation that takes a body has a sample body here, which the document describes', () => {
    const ops = bodyOps();
    expect(ops.length).toBeGreaterThan(25);
    for (const o of ops) {
      const s = samples[o.key];
      expect(s, `${o.key}: add a valid sample body to this test`).toBeDefined();
      for (const body of s?.(0) ?? []) expect(conforms(body, o.body ?? {}), o.key).toEqual([]);
    }
  });

  it('/api/v2: a valid body is accepted, and the same body with an unknown key anywhere the schema closes is a 400 naming it', async () => {
    let n = 0;
    const refused: string[] = [];
    const accepted: string[] = [];
    for (const o of bodyOps().filter((o) => o.path.startsWith('/api/v2/') && !isImport(o))) {
      for (const [i, body] of (samples[o.key]?.(n++) ?? []).entries()) {
        // The nested objects first: the valid body last, for the routes a valid body changes (cancel).
        for (const [path, closed] of objectsOf(body, o.body)) {
          const r = await post(pathOf(o), withExtra(body, path));
          const where = [...path, EXTRA].join('.');
          if (closed) {
            expect(r.status, `${o.key} #${i} ${where}: ${r.text}`).toBe(400);
            expect(r.body, `${o.key} #${i} ${where}`).toMatchObject({ code: 'InvalidBody' });
            expect((r.body as { msg: string }).msg, `${o.key} #${i}`).toMatch(
              new RegExp(`(^|; )${where.replace(/\./g, '\\.')}: unknown field`),
            );
            refused.push(`${o.key} ${where}`);
          } else {
            // A free-form object (`opts`, `attributes`): the document says so, and the key is taken.
            expect(r.status, `${o.key} #${i} ${where}: ${r.text}`).toBeLessThan(300);
            accepted.push(`${o.key} ${where}`);
          }
        }
        const ok = await post(pathOf(o), o.key === 'POST /api/v2/threads' ? (samples[o.key]?.(n++)[0] ?? {}) : body);
        expect(ok.status, `${o.key} #${i} valid: ${ok.text}`).toBeLessThan(300);
      }
    }
    // The nested objects that are closed, and the free-form ones, were all met.
    for (const nested of [
      'POST /api/v2/send scheduled.zz_unknown',
      'POST /api/v2/send variants.1.zz_unknown',
      'POST /api/v2/multicast query.zz_unknown',
      'POST /api/v2/profile thread.zz_unknown',
      'POST /api/v2/profile quietHours.zz_unknown',
    ])
      expect(refused).toContain(nested);
    expect(accepted).toEqual(
      expect.arrayContaining([
        'POST /api/v2/send opts.zz_unknown',
        'POST /api/v2/profile attributes.zz_unknown',
        // The browser's PushSubscription.toJSON(), whose members the Push API may extend: dropped.
        'POST /api/v2/enlist keys.zz_unknown',
      ]),
    );
  }, 120_000);

  // JSON.parse keeps the last of a repeated key, where a proxy in front may read the first: on
  // /api/v2 a key written twice in any object is a 400 naming it, and nothing is done.
  it('/api/v2: a key written twice in any object of a body is a 400 naming it', async () => {
    const seen: string[] = [];
    for (const o of bodyOps().filter((o) => o.path.startsWith('/api/v2/') && !isImport(o))) {
      for (const [i, body] of (samples[o.key]?.(1_000) ?? []).entries()) {
        for (const [path] of objectsOf(body, o.body)) {
          const repeat = withRepeat(body, path, 'first');
          if (repeat === undefined) continue;
          const r = await call(server, 'POST', pathOf(o), {
            token: root,
            raw: repeat.text,
            headers: { 'content-type': 'application/json' },
          });
          expect(r.status, `${o.key} #${i} ${repeat.key}: ${r.text}`).toBe(400);
          expect(r.body).toMatchObject({
            code: 'InvalidBody',
            msg: `${repeat.key}: given more than once in one object; send each key once`,
          });
          seen.push(`${o.key} ${repeat.key}`);
        }
      }
    }
    expect(seen).toEqual(
      expect.arrayContaining([
        'POST /api/v2/send uid',
        'POST /api/v2/send scheduled.at',
        'POST /api/v2/send opts.urgency',
        'POST /api/v2/send variants.1.name',
      ]),
    );
    // The classic: checked as alice's by whoever reads the first, run as bob's by a last-wins parser.
    const r = await call(server, 'POST', '/api/v2/send', {
      token: root,
      raw: '{"uid":"alice","msg":"for alice","uid":"mallory"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
    expect((r.body as { msg: string }).msg).toMatch(/^uid: given more than once/);
    const inbox = await call(server, 'GET', '/api/v2/inbox', { token: await token('mallory') });
    expect(inbox.status).toBe(200);
    expect(JSON.stringify(inbox.body)).not.toContain('for alice');
  }, 120_000);

  it('/api/v2/users/import: a line with an unknown field is an error naming it; the other lines import', async () => {
    const raw = `${JSON.stringify({ uid: 'erin', email: 'erin@example.org' })}\n${JSON.stringify({ uid: 'frank', [EXTRA]: 1 })}\n`;
    const r = await call(server, 'POST', '/api/v2/users/import', {
      token: root,
      raw,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      linesRead: 2,
      usersWritten: 1,
      errors: 1,
      firstErrors: [{ line: 2, field: EXTRA }],
    });
  });

  it('the compatibility surfaces (/api/v1, onadata, /notify) ignore unknown keys, at every level', async () => {
    const compat = bodyOps().filter((o) => !o.path.startsWith('/api/v2/'));
    expect(compat.map((o) => o.key).sort()).toEqual([
      'POST /api/messaging',
      'POST /api/v1/broadcast',
      'POST /api/v1/messaging',
      'POST /api/v1/multicast',
      'POST /api/v1/native/subscribe',
      'POST /api/v1/send',
      'POST /notify',
    ]);
    for (const o of compat)
      for (const body of samples[o.key]?.(0) ?? [])
        for (const [path, closed] of objectsOf(body, o.body)) {
          // The v1 document says so: no object of its bodies is closed by the HTTP layer.
          expect(closed, `${o.key} ${path.join('.')}`).toBe(false);
          const r = await post(o.path, withExtra(body, path));
          expect(r.status, `${o.key} ${[...path, EXTRA].join('.')}: ${r.text}`).toBeLessThan(300);
          // A repeated key: the last one counts, as it did for the systems these routes replace.
          const repeat = withRepeat(body, path, 'first');
          if (repeat === undefined) continue;
          const twice = await call(server, 'POST', o.path, {
            token: root,
            raw: repeat.text,
            headers: { 'content-type': 'application/json' },
          });
          expect(twice.status, `${o.key} ${repeat.key} twice: ${twice.text}`).toBeLessThan(300);
        }
  }, 60_000);
});
