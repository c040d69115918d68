import { describe, expect, it } from 'vitest';
import type { ActorSpec } from '../../fuzz/actors.js';
import { readApiDoc } from '../../fuzz/api-doc.js';
import type { Answer } from '../../fuzz/http-client.js';
import { judge } from '../../fuzz/oracles.js';
import { verdict } from '../../fuzz/raw-run.js';
import { missingRules } from '../../fuzz/readback.js';
import { conforms } from '../../fuzz/validate.js';

// The fuzzer's oracles are only worth something if they can fail: each is shown here failing
// on the answer it exists to catch, and passing on the one it must accept.
const doc = readApiDoc({
  'x-websocket': { path: '/ws' },
  components: { schemas: { Ok: { const: true } } },
  paths: {
    '/admin/x': {
      post: {
        'x-access': 'admin',
        responses: {
          200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Ok' } } } },
          401: {},
          403: {},
        },
      },
    },
    '/things/{tid}': {
      get: {
        'x-access': 'user',
        parameters: [
          { name: 'tid', in: 'path' },
          { name: 'limit', in: 'query' },
          { name: 'which', in: 'query', schema: { enum: ['a', 'b'] } },
        ],
        responses: {
          200: {
            content: {
              'application/json': {
                schema: { type: 'object', required: ['tid'], properties: { tid: { type: 'string' } } },
              },
            },
          },
          400: {},
          401: {},
          404: {},
        },
      },
    },
  },
});
const admin = doc.byKey.get('POST /admin/x');
const things = doc.byKey.get('GET /things/{tid}');
const answer = (status: number, json: unknown): Answer => ({ status, headers: {}, text: JSON.stringify(json), json });
const as = (kind: ActorSpec['kind']): ActorSpec => ({ kind, n: 0 });

describe('reading the OpenAPI document', () => {
  it('resolves references and keeps access, parameters, statuses and answer schemas', () => {
    expect(admin).toMatchObject({ access: 'admin', method: 'POST', okSchema: { const: true } });
    expect(things).toMatchObject({
      pathParams: ['tid'],
      queryParams: ['limit', 'which'],
      queryValues: { which: ['a', 'b'] },
    });
    expect([...(things?.statuses ?? [])]).toEqual([200, 400, 401, 404]);
  });

  it('refuses an operation whose access it cannot classify, and a document without the websocket path', () => {
    expect(() =>
      readApiDoc({ 'x-websocket': { path: '/ws' }, paths: { '/x': { get: { 'x-access': 'everyone' } } } }),
    ).toThrow(/unknown x-access/);
    expect(() => readApiDoc({ paths: {} })).toThrow(/websocket path/);
  });

  it('names write routes that have no read-back rule', () => {
    expect(missingRules(['GET /anything', 'POST /api/v2/publish', 'POST /api/v9/new-thing'])).toEqual([
      'POST /api/v9/new-thing',
    ]);
  });
});

describe('judging an answer', () => {
  if (admin === undefined || things === undefined) throw new Error('fixture operations missing');
  const bad = (j: Parameters<typeof judge>[0]): string => judge(j).join('\n');

  it('accepts what the document promises to the caller the route is for', () => {
    expect(judge({ op: admin, actor: as('admin'), roles: ['admin'], answer: answer(200, true) })).toEqual([]);
    expect(
      judge({ op: things, actor: as('user'), roles: [], answer: answer(404, { code: 'NotFound', msg: 'x' }) }),
    ).toEqual([]);
    expect(
      judge({ op: admin, actor: as('user'), roles: [], answer: answer(403, { code: 'Forbidden', msg: 'x' }) }),
    ).toEqual([]);
    expect(
      judge({ op: things, actor: as('expired'), roles: [], answer: answer(401, { code: 'Unauthorized', msg: 'x' }) }),
    ).toEqual([]);
  });

  it('fails a 5xx, an undocumented status and an answer that is not the documented one', () => {
    expect(
      bad({ op: things, actor: as('user'), roles: [], answer: answer(500, { code: 'InternalError', msg: 'x' }) }),
    ).toMatch(/answered 500/);
    expect(
      bad({ op: things, actor: as('user'), roles: [], answer: answer(409, { code: 'Conflict', msg: 'x' }) }),
    ).toMatch(/does not list/);
    expect(bad({ op: things, actor: as('user'), roles: [], answer: answer(200, { id: 1 }) })).toMatch(
      /missing required tid/,
    );
    expect(bad({ op: things, actor: as('user'), roles: [], answer: answer(400, 'plain') })).toMatch(
      /not \{code, msg\}/,
    );
  });

  it('fails any 2xx to a caller without the role or with a refused token, and a 401 to a valid token', () => {
    expect(bad({ op: admin, actor: as('user'), roles: [], answer: answer(200, true) })).toMatch(
      /roles \[\] got 200 on a route for admin/,
    );
    expect(bad({ op: admin, actor: as('auditor'), roles: ['auditor'], answer: answer(200, true) })).toMatch(/got 200/);
    expect(bad({ op: things, actor: as('forged'), roles: [], answer: answer(200, { tid: 't' }) })).toMatch(
      /refused token \(forged\) got 200/,
    );
    expect(
      bad({ op: things, actor: as('noexp'), roles: [], answer: answer(404, { code: 'NotFound', msg: 'x' }) }),
    ).toMatch(/not 401/);
    expect(
      bad({ op: things, actor: as('user'), roles: [], answer: answer(401, { code: 'Unauthorized', msg: 'x' }) }),
    ).toMatch(/valid token/);
  });
});

describe('raw HTTP outcomes, as docs/http-edges.md documents them', () => {
  const raw = (
    statuses: number[],
    ended: 'end' | 'reset' | 'open',
    body = '{"code":"BadRequestFraming","msg":"x"}',
  ) => ({
    bytes: '',
    ended,
    responses: statuses.map((status) => ({ status, headers: { connection: 'close' }, body })),
  });
  it('a refused framing is one 400 and a closed connection; anything answered behind it fails', () => {
    expect(verdict({ payload: '', documented: 'framing400' }, raw([400], 'end'))).toEqual([]);
    expect(verdict({ payload: '', documented: 'framing400' }, raw([400], 'open'))).not.toEqual([]);
    expect(verdict({ payload: '', documented: 'smuggled' }, raw([], 'end'))).toEqual([]);
    expect(verdict({ payload: '', documented: 'smuggled' }, raw([400, 200], 'end'))).not.toEqual([]);
  });
  it('held or closed means no answer; answered means all of them; never a 5xx', () => {
    expect(verdict({ payload: '', documented: 'held' }, raw([], 'open'))).toEqual([]);
    expect(verdict({ payload: '', documented: 'held' }, raw([200], 'open'))).not.toEqual([]);
    expect(verdict({ payload: '', documented: 'answered', expect: 3 }, raw([200, 200], 'end'))).not.toEqual([]);
    expect(verdict({ payload: '', documented: 'anything' }, raw([502], 'end'))).not.toEqual([]);
  });
});

describe('the schema checker', () => {
  it('checks types, enums, bounds, patterns, dates, items and oneOf', () => {
    const schema = {
      type: 'object',
      required: ['a'],
      properties: {
        a: { type: 'integer', minimum: 1, maximum: 4 },
        b: { enum: ['x', 'y'] },
        c: { type: 'string', pattern: '^[a-z]+$', maxLength: 3 },
        d: { type: 'string', format: 'date-time' },
        e: { type: 'array', items: { type: ['string', 'null'] } },
        f: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    };
    expect(conforms({ a: 2, b: 'x', c: 'abc', d: '2030-01-01T00:00:00.000Z', e: ['s', null], f: 3 }, schema)).toEqual(
      [],
    );
    expect(conforms({ a: 5, b: 'z', c: 'ABCD', d: 'tomorrow', e: [1], f: true }, schema)).toEqual([
      '$.a: above 4',
      '$.b: expected one of ["x","y"]',
      '$.c: longer than 3',
      '$.c: does not match ^[a-z]+$',
      '$.d: not a date-time',
      '$.e[0]: expected ["string","null"], got integer',
      '$.f: matches 0 of the oneOf alternatives, not exactly one',
    ]);
    expect(conforms({}, schema)).toEqual(['$: missing required a']);
  });
});
