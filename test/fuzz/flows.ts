import fc from 'fast-check';
import { actorArb, type ActorSpec } from './actors.js';
import type { ApiDoc } from './api-doc.js';
import type { HttpCase } from './http-case.js';
import { at, ref, type Value } from './leaves.js';

// Stateful sequences: short stories on the newest thread and message (refs counting from the
// newest, -1), each step by a random caller of any role, so that creating, subscribing,
// publishing, receipts, cancelling and deleting meet each other and every kind of caller.
// Each step is an ordinary HTTP case, judged by every oracle (authorization, read-back, and
// for strangers the same answer for what is hidden as for what does not exist).
export interface FlowCase {
  readonly kind: 'flow';
  readonly steps: readonly HttpCase[];
}

const json = (value: Value): HttpCase['body'] => ({ form: 'json', value, type: 'application/json' });
const step = (
  op: string,
  actor: ActorSpec,
  body: Value | undefined,
  segments: Record<string, string> = {},
): HttpCase => ({
  kind: 'http',
  op,
  actor,
  segments,
  query: [],
  body: body === undefined ? { form: 'none' } : json(body),
});

const newest = (kind: 'tid' | 'mid', back: number): string => ref(kind, -1 - back);

type StepArb = (a: ActorSpec, back: number, n: number) => HttpCase;
const inbox: StepArb = (a) => step('GET /api/v2/inbox', a, undefined);
const STEPS: Readonly<Record<string, StepArb>> = {
  create: (a, _b, n) =>
    step('POST /api/v2/threads', a, { tid: ref('fresh', 0), opens: n % 2 === 0, openp: n % 3 === 0 }),
  subscribe: (a, b) => step('POST /api/v2/subscribe', a, { tid: newest('tid', b) }),
  unsubscribe: (a, b) => step('POST /api/v2/unsubscribe', a, { tid: newest('tid', b) }),
  member: (a, b, n) =>
    step(
      'POST /api/v2/threads/{tid}/members',
      a,
      { uid: ref('uid', n), role: ['admin', 'publisher', 'subscriber'][n % 3] ?? 'subscriber' },
      { tid: newest('tid', b) },
    ),
  publish: (a, b, n) =>
    step('POST /api/v2/publish', a, {
      tid: newest('tid', b),
      msg: `flow ${n}`,
      ...(n % 4 === 0 ? { scheduled: at('ms', 3_600_000) } : {}),
    }),
  send: (a, _b, n) =>
    step('POST /api/v2/send', a, {
      uid: ref('uid', n),
      msg: `direct ${n}`,
      ...(n % 3 === 0 ? { scheduled: at('iso', 3_600_000) } : {}),
    }),
  ack: (a, b, n) =>
    step('POST /api/v2/ack', a, {
      mids: [newest('mid', b)],
      status: ['delivered', 'seen', 'read', 'clicked'][n % 4] ?? 'seen',
    }),
  read: (a, b) => step('POST /api/v2/read', a, { mid: newest('mid', b) }),
  inboxDelete: (a, b) => step('POST /api/v2/inbox/delete', a, { mids: [newest('mid', b)] }),
  cancel: (a, b) => step('POST /api/v2/cancel', a, { mid: newest('mid', b) }),
  retract: (a, b) => step('DELETE /api/v2/messages/{mid}', a, undefined, { mid: newest('mid', b) }),
  readMessage: (a, b) => step('GET /api/v2/messages/{mid}', a, undefined, { mid: newest('mid', b) }),
  readThread: (a, b) => step('GET /api/v2/threads/{tid}', a, undefined, { tid: newest('tid', b) }),
  threadMessages: (a, b) => step('GET /api/v2/threads/{tid}/messages', a, undefined, { tid: newest('tid', b) }),
  inbox,
};

export const flowArb = (doc: ApiDoc): fc.Arbitrary<FlowCase> => {
  // Only steps whose operation the document has (a renamed route must not break the fuzzer).
  const names = Object.keys(STEPS).filter((k) => doc.byKey.has(STEPS[k]?.({ kind: 'user', n: 0 }, 0, 0).op ?? ''));
  const stepArb = fc
    .tuple(fc.constantFrom(...names), actorArb, fc.nat({ max: 1 }), fc.nat({ max: 99 }))
    .map(([name, a, b, n]) => (STEPS[name] ?? inbox)(a, b, n));
  return fc.record({ kind: fc.constant('flow' as const), steps: fc.array(stepArb, { minLength: 3, maxLength: 8 }) });
};
