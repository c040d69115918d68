import fc from 'fast-check';
import { actorArb, type ActorSpec } from './actors.js';
import { fillPath, type ApiDoc, type Operation } from './api-doc.js';
import { mutate, mutationArb, valueFor } from './bodies.js';
import { hostileString, hostileValue } from './hostile.js';
import { ref, renderJson, renderText, rep, type IdKind, type Resolver, type Value } from './leaves.js';

// One HTTP request as data: which operation of the document, as whom, with which path
// segments, query, body and headers. Generated for every operation in the document.
export type BodySpec =
  | { readonly form: 'json'; readonly value: Value; readonly type: string }
  | { readonly form: 'text'; readonly text: string; readonly type: string }
  | { readonly form: 'none' };

export interface HttpCase {
  readonly kind: 'http';
  readonly op: string;
  /** Sent instead of the operation's method (a wrong method: 405, or another operation on the path). */
  readonly method?: string;
  readonly actor: ActorSpec;
  readonly segments: Readonly<Record<string, string>>;
  readonly query: readonly (readonly [string, string])[];
  readonly rawQuery?: string;
  readonly body: BodySpec;
  readonly idempotencyKey?: string;
}

const PARAM_KINDS: Readonly<Record<string, IdKind>> = { mid: 'mid', tid: 'tid', uid: 'uid', stream: 'stream' };

// Path segments as they go on the wire: malformed and overlong percent-encodings, encoded
// slashes and dots, NUL, a BOM, code points past U+10FFFF, 10,000 characters.
const hostileSegment = fc.constantFrom(
  '%E0%A4%A',
  '%ZZ',
  '%',
  '%%',
  '%00',
  'a%00b',
  '%2F',
  'a%2Fb',
  '..',
  '.',
  '%2e%2e',
  '%252F',
  '%C0%AF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%EF%BB%BFx',
  '%FF',
  '%41bc',
  'a%20b',
  '+',
  "a;b=c,d!$&'()*",
  '%23frag',
  rep('a', 10_000),
  rep('%41', 3_000),
);

const segmentArb = (name: string): fc.Arbitrary<string> => {
  const kind = PARAM_KINDS[name];
  return fc.oneof(
    { weight: 6, arbitrary: fc.nat({ max: 999 }).map((n) => ref(kind ?? 'fresh', n)) },
    { weight: 1, arbitrary: fc.constant(ref('fresh', 0)) },
    { weight: 3, arbitrary: hostileSegment },
  );
};

const plausibleQuery: Readonly<Record<string, fc.Arbitrary<string>>> = {
  // Small values often: a bug tied to one value is likelier found among ten than among 200.
  limit: fc.oneof(
    fc.integer({ min: 1, max: 10 }).map(String),
    fc.integer({ min: 1, max: 200 }).map(String),
    fc.constantFrom('0', '-1', '201', '1001', '1e2', '0x10', ' 5', '5abc', 'NaN', ''),
  ),
  unseen: fc.constantFrom('true', '1', 'false', 'yes', ''),
  scheduled: fc.constantFrom('true', 'false', '1'),
  channel: fc.constantFrom('webpush', 'fcm', 'apns', 'email', 'sms', 'mqtt', 'nope'),
  mid: fc.nat({ max: 999 }).map((n) => ref('mid', n)),
};

const queryValue = (op: Operation, name: string): fc.Arbitrary<string> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary:
        op.queryValues[name] !== undefined
          ? fc.constantFrom(...(op.queryValues[name] ?? []))
          : (plausibleQuery[name] ?? fc.nat({ max: 5000 }).map(String)),
    },
    {
      weight: 2,
      arbitrary: hostileString.map((s) =>
        s.startsWith('\u0001') ? s : encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD')),
      ),
    },
    { weight: 1, arbitrary: hostileSegment },
  );

const rawQueryArb = fc.constantFrom(
  '%',
  '&&&',
  '=x',
  'a=%E0%A4%A',
  'limit=1&limit=2',
  'limit',
  rep('y', 8000),
  'consistency=eventual',
  'min_position=99999999999',
);

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/vnd.api+json',
  'application/xml',
  'multipart/form-data; boundary=x',
);

const malformedBody: fc.Arbitrary<BodySpec> = fc.record({
  form: fc.constant('text' as const),
  text: fc.constantFrom(
    '',
    '{',
    '{"tid":',
    'null',
    '[]',
    '"x"',
    '{"a":1}garbage',
    '\uFEFF{}',
    "{'a':1}",
    'NaN',
    'tid=x&msg=y',
    '{"a":1,"a":2}',
    '\u0000',
    rep('x', 70_000),
  ),
  type: contentTypes,
});

const bodyArb = (op: Operation): fc.Arbitrary<BodySpec> => {
  if (op.body === undefined)
    return fc.oneof(
      { weight: 9, arbitrary: fc.constant<BodySpec>({ form: 'none' }) },
      { weight: 1, arbitrary: malformedBody },
    );
  const valid = valueFor(op.body, '');
  const json = (v: fc.Arbitrary<Value>): fc.Arbitrary<BodySpec> =>
    fc
      .tuple(
        v,
        fc.oneof({ weight: 9, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: contentTypes }),
      )
      .map(([value, type]) => ({ form: 'json' as const, value, type }));
  return fc.oneof(
    { weight: 6, arbitrary: json(valid) },
    {
      weight: 3,
      arbitrary: json(
        fc.tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 2 })).map(([v, m]) => mutate(v, m)),
      ),
    },
    { weight: 1, arbitrary: json(hostileValue) },
    { weight: 1, arbitrary: malformedBody },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ form: 'none' }) },
  );
};

// Mostly a key of its own (a fresh id), sometimes one of a few shared ones (a replay, or a
// reuse with another body: 422), rarely a malformed one (400).
const idempotencyKeyArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(ref('fresh', 1)) },
  { weight: 3, arbitrary: fc.constantFrom('k0', 'k1', 'k2', 'k3') },
  { weight: 1, arbitrary: fc.constantFrom(' ', 'a b', 'x'.repeat(256), '\u00ff', 'é', '%00') },
);

/** `value` with the given probability, else undefined (fc.option's `freq` is the inverse: 1/freq of undefined). */
const sometimes = <T>(p: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof(
    { weight: Math.round(p * 100), arbitrary: arb },
    { weight: Math.round((1 - p) * 100), arbitrary: fc.constant(undefined) },
  );

export const httpCaseArb = (op: Operation): fc.Arbitrary<HttpCase> =>
  fc
    .record({
      actor: actorArb,
      segments: fc.record(Object.fromEntries(op.pathParams.map((p) => [p, segmentArb(p)]))),
      // Each documented parameter or not (one that lists its values, nearly always).
      query: fc
        .tuple(
          ...op.queryParams.map((k) =>
            sometimes(
              k in op.queryValues ? 0.9 : 0.5,
              queryValue(op, k).map((v) => [k, v] as const),
            ),
          ),
        )
        .map((pairs) => pairs.filter((p): p is readonly [string, string] => p !== undefined)),
      rawQuery: sometimes(0.08, rawQueryArb),
      body: bodyArb(op),
      idempotencyKey: op.idempotent ? sometimes(0.3, idempotencyKeyArb) : fc.constant(undefined),
      method: sometimes(0.05, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'FOO')),
    })
    .map((c) => ({
      kind: 'http' as const,
      op: op.key,
      actor: c.actor,
      segments: c.segments,
      query: c.query,
      body: c.body,
      ...(c.rawQuery !== undefined ? { rawQuery: c.rawQuery } : {}),
      ...(c.idempotencyKey !== undefined ? { idempotencyKey: c.idempotencyKey } : {}),
      ...(c.method !== undefined && c.method !== op.method ? { method: c.method } : {}),
    }));

/** Every operation, writes weighted up: they build the state that reads and later writes act on. */
export const anyHttpCase = (doc: ApiDoc): fc.Arbitrary<HttpCase> =>
  fc.oneof(...doc.operations.map((op) => ({ weight: op.method === 'GET' ? 1 : 3, arbitrary: httpCaseArb(op) })));

export interface Rendered {
  readonly method: string;
  readonly target: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
  /** The JSON text sent, when the body was JSON. */
  readonly json: string | undefined;
}

export const renderHttp = (c: HttpCase, op: Operation, r: Resolver, authorization: string | undefined): Rendered => {
  const path = fillPath(op.path, Object.fromEntries(Object.entries(c.segments).map(([k, v]) => [k, renderText(v, r)])));
  const pairs = c.query.map(([k, v]) => `${k}=${renderText(v, r)}`);
  if (c.rawQuery !== undefined) pairs.push(renderText(c.rawQuery, r));
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers['Authorization'] = authorization;
  if (c.idempotencyKey !== undefined) headers['Idempotency-Key'] = renderText(c.idempotencyKey, r);
  let text: string | undefined;
  if (c.body.form === 'json') text = renderJson(c.body.value, r);
  else if (c.body.form === 'text') text = renderText(c.body.text, r);
  if (c.body.form !== 'none' && c.body.type !== '') headers['Content-Type'] = c.body.type;
  return {
    method: c.method ?? op.method,
    target: pairs.length > 0 ? `${path}?${pairs.join('&')}` : path,
    headers,
    body: text === undefined ? undefined : Buffer.from(text, 'utf8'),
    json: c.body.form === 'json' ? text : undefined,
  };
};
