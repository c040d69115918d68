import fc from 'fast-check';
import { actorArb, type ActorSpec } from './actors.js';
import { mutate, mutationArb } from './bodies.js';
import { hostileValue, nesting } from './hostile.js';
import { deep, raw, ref, rep, type Value } from './leaves.js';

// Websocket frames for every client frame type the server names (it lists them in its
// UnknownFrame error; the run fails when it names one that has no generator here), each with
// the HTTP route whose read-back rule checks a frame answered `ok`, and what may answer it.
// `\u0001fid` (`\u0001fnum`) is replaced by a unique string (integer) id per frame when it runs,
// so its answer can be found;
// `\u0001tok` in an auth frame by a token of the frame's `as` caller.
export const FRAME_ID = '\u0001fid';
/** Replaced by a unique safe integer (ids may be either, README). */
export const FRAME_NUMBER_ID = '\u0001fnum';
export const FRAME_TOKEN = '\u0001tok';

export interface FrameType {
  readonly fields: fc.Arbitrary<Record<string, Value>>;
  /** The HTTP write with the same effect (for its read-back rule), and its body. */
  readonly twin?: { readonly key: string; readonly body: (f: Record<string, unknown>) => Record<string, unknown> };
  /** The answer when it decodes and succeeds (an `error` frame may always answer instead). */
  readonly answer: string;
}

const mid = fc.nat({ max: 999 }).map((n) => ref('mid', n));
const tid = fc.oneof(
  fc.nat({ max: 999 }).map((n) => ref('tid', n)),
  fc.constant(ref('fresh', 0)),
);
const mids = fc.array(fc.oneof({ weight: 9, arbitrary: mid }, { weight: 1, arbitrary: fc.constant(ref('fresh', 0)) }), {
  minLength: 1,
  maxLength: 4,
});
const limit = fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(0, 201, -1, 1.5));
const cursor = fc.constantFrom('x', '', rep('9', 300), '01900000-0000-7000-8000-000000000000');

export const FRAME_TYPES: Readonly<Record<string, FrameType>> = {
  ack: {
    fields: fc.record(
      { mids, status: fc.constantFrom('delivered', 'seen', 'read', 'clicked', 'bogus') },
      { requiredKeys: ['mids'] },
    ),
    twin: { key: 'POST /api/v2/ack', body: (f) => ({ mids: f['mids'], status: f['status'] ?? 'delivered' }) },
    answer: 'ok',
  },
  seen: {
    fields: fc.record({ mids }),
    twin: { key: 'POST /api/v2/ack', body: (f) => ({ mids: f['mids'], status: 'seen' }) },
    answer: 'ok',
  },
  read: {
    fields: fc.record({ mid, tid }, { requiredKeys: ['mid'] }),
    twin: {
      key: 'POST /api/v2/read',
      body: (f) => ({ mid: f['mid'], ...(f['tid'] !== undefined ? { tid: f['tid'] } : {}) }),
    },
    answer: 'ok',
  },
  delete: {
    fields: fc.record({ mids }),
    twin: { key: 'POST /api/v2/inbox/delete', body: (f) => ({ mids: f['mids'] }) },
    answer: 'ok',
  },
  history: { fields: fc.record({ tid, before: cursor, limit }, { requiredKeys: [] }), answer: 'history' },
  unseen: { fields: fc.record({ before: cursor, limit }, { requiredKeys: [] }), answer: 'unseen' },
  subscribe: {
    fields: fc.record({ tid }),
    twin: { key: 'POST /api/v2/subscribe', body: (f) => ({ tid: f['tid'] }) },
    answer: 'subscribed',
  },
  unsubscribe: {
    fields: fc.record({ tid }),
    twin: { key: 'POST /api/v2/unsubscribe', body: (f) => ({ tid: f['tid'] }) },
    answer: 'unsubscribed',
  },
  ping: { fields: fc.constant({}), answer: 'pong' },
  auth: { fields: fc.constant({ token: FRAME_TOKEN }), answer: 'ok' },
};

export type SentFrame = { readonly json: Value } | { readonly text: string };

export interface WsCase {
  readonly kind: 'ws';
  readonly actor: ActorSpec;
  /** Who an `auth` frame's token is for (often someone else, expired or forged). */
  readonly as: ActorSpec;
  readonly frames: readonly SentFrame[];
}

const idArb: fc.Arbitrary<Value | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Value | undefined>(FRAME_ID) },
  { weight: 6, arbitrary: fc.constant<Value | undefined>(FRAME_NUMBER_ID) },
  { weight: 1, arbitrary: fc.constant<Value | undefined>(undefined) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Value | undefined>(
      rep('i', 64),
      rep('i', 65),
      rep('x', 10_000),
      Number.MAX_SAFE_INTEGER,
      1e300,
      1.5,
      -0,
      { a: 1 },
      null,
      '',
    ),
  },
);

const typed = (type: string, t: FrameType): fc.Arbitrary<SentFrame> =>
  fc.tuple(t.fields, idArb).map(([f, id]) => ({ json: { type, ...f, ...(id !== undefined ? { id } : {}) } }));

const malformed: fc.Arbitrary<SentFrame> = fc.oneof(
  fc.constantFrom<SentFrame>(
    { text: '' },
    { text: '{' },
    { text: 'null' },
    { text: '[]' },
    { text: '"ping"' },
    { text: '{"type":"ping"}x' },
    { text: '\uFEFF{"type":"ping"}' },
    { text: '{"__proto__":{"type":"ping"}}' },
    { text: raw('{"type":"ping","id":1e309}') },
    { text: deep('[', 10_000) },
    { text: deep('{', 33) },
    { text: rep('x', 70_000) },
    { text: rep('[', 300_000) },
  ),
  nesting.map((v) => ({ json: { type: 'ping', id: FRAME_ID, x: v } })),
  fc.tuple(hostileValue, idArb).map(([type, id]) => ({ json: { type, ...(id !== undefined ? { id } : {}) } })),
);

export const frameArb = (types: readonly string[]): fc.Arbitrary<SentFrame> => {
  const valid = types.map((type) => {
    const t = FRAME_TYPES[type];
    if (t === undefined)
      throw new Error(`the server names websocket frame type "${type}", which the fuzzer has no generator for`);
    return typed(type, t);
  });
  const anyValid = fc.oneof(...valid);
  return fc.oneof(
    { weight: 6, arbitrary: anyValid },
    {
      weight: 3,
      arbitrary: fc
        .tuple(anyValid, fc.array(mutationArb, { minLength: 1, maxLength: 2 }))
        .map(([f, m]) => ('json' in f ? { json: mutate(f.json, m) } : f)),
    },
    { weight: 2, arbitrary: malformed },
  );
};

export const wsCaseArb = (types: readonly string[]): fc.Arbitrary<WsCase> =>
  fc.record({
    kind: fc.constant('ws' as const),
    actor: fc.record({
      kind: fc.constantFrom('user' as const, 'user' as const, 'admin' as const, 'stranger' as const),
      n: fc.nat({ max: 99 }),
    }),
    as: actorArb,
    frames: fc.array(frameArb(types), { minLength: 1, maxLength: 4 }),
  });
