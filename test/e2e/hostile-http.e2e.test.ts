import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { expectHealthy } from './raw-http.js';

// Hostile HTTP input on a real server process (issue 9, findings 1 and 3): a request that
// used to end the process, or to answer 500, gets a 4xx naming the problem, and afterwards
// the process is alive, serves requests and has logged no unhandled error.
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly body: boolean;
}

let server: Server;
let admin: string;
let operations: Operation[];

beforeAll(async () => {
  server = await startServer();
  admin = await token('root', ['admin']);
  // Every route, from the API's own OpenAPI document (the unit suite checks it lists every route).
  const doc = (await call(server, 'GET', '/api/v2/openapi.json')).body as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      body: op.requestBody !== undefined,
    })),
  );
});
afterAll(async () => {
  await server.stop();
  removeDir(server.dataDir);
});
afterEach(async () => {
  await expectHealthy(server);
});

const paramsOf = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
const fill = (path: string, values: Record<string, string>): string =>
  path.replace(/\{(\w+)\}/g, (_, n: string) => values[n] ?? 'x');

describe('malformed percent-encoding in a path parameter (finding 1)', () => {
  // Truncated, not hex, a lone %, an overlong encoding, a UTF-16 surrogate: all URIError in decodeURIComponent.
  const malformed = ['%E0%A4%A', '%ZZ', '%', '%C0%AF', '%ED%A0%80'];

  it('is a 400 naming the parameter on every route that has one, without a token', async () => {
    const withParams = operations.filter((o) => paramsOf(o.path).length > 0);
    expect(withParams.length).toBeGreaterThan(5);
    for (const op of withParams) {
      for (const param of paramsOf(op.path)) {
        for (const bad of malformed) {
          const r = await call(server, op.method, fill(op.path, { [param]: bad }));
          expect({ op: `${op.method} ${op.path}`, bad, status: r.status, body: r.body }).toMatchObject({
            status: 400,
            body: { code: 'InvalidPathParameter', msg: `${param}: malformed percent-encoding` },
          });
        }
      }
    }
  });

  it('leaves well-formed encodings alone', async () => {
    const r = await call(server, 'GET', '/api/v2/messages/%41bc', { token: admin });
    expect(r.status).not.toBe(400);
  });
});

describe('deeply nested JSON bodies (finding 3)', () => {
  const nested = (depth: number, leaf = '1'): string => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
  const variants = (): Record<string, string> => ({
    'deep arrays (the whole body)': `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    'deep objects (the whole body)': nested(5_000),
    'deep opts': `{"tid":"t","uid":"u","msg":"x","opts":${nested(100)}}`,
    'deep tid': `{"tid":${'['.repeat(40)}"t"${']'.repeat(40)},"msg":"x"}`,
    'deep attributes': `{"attributes":${nested(40)}}`,
    'one level over the limit': nested(33),
  });

  it('is a 400 naming the limit on every route that takes a body, never a 500', async () => {
    const withBody = operations.filter((o) => o.body);
    expect(withBody.length).toBeGreaterThan(5);
    for (const op of withBody) {
      for (const [name, raw] of Object.entries(variants())) {
        const r = await call(server, op.method, fill(op.path, {}), {
          token: admin,
          raw,
          headers: { 'content-type': 'application/json' },
        });
        // The user import's body is NDJSON, one user per line, and it reports bad lines one by one
        // (the good ones are kept): a line nested too deep is that line's error, naming the limit.
        const expected =
          op.path === '/api/v2/users/import'
            ? {
                status: 200,
                body: {
                  errors: 1,
                  usersWritten: 0,
                  firstErrors: [{ line: 1, msg: 'not JSON: nested deeper than 32 levels' }],
                },
              }
            : {
                status: 400,
                body: { code: 'JsonTooDeep', msg: 'request body nests deeper than 32 levels (MSGXC_JSON_MAX_DEPTH)' },
              };
        expect({ op: `${op.method} ${op.path}`, name, status: r.status, body: r.body }).toMatchObject(expected);
      }
    }
  });

  it('counts only structure: the limit itself, and brackets inside strings, are not refused for depth', async () => {
    const atLimit = `{"tid":"depth-ok","msg":"x","opts":${'{"a":'.repeat(30)}1${'}'.repeat(30)}}`;
    const published = await call(server, 'POST', '/api/v2/publish', { token: admin, raw: atLimit });
    expect(published.status).toBe(200);
    const brackets = JSON.stringify({ tid: 'depth-ok', msg: `${'['.repeat(5000)}${'{'.repeat(5000)}\\"[` });
    expect((await call(server, 'POST', '/api/v2/publish', { token: admin, raw: brackets })).status).toBe(200);
  });

  it('describes wide values and huge strings briefly', async () => {
    const wide = `{"tid":${JSON.stringify(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])))},"msg":"x"}`;
    const r1 = await call(server, 'POST', '/api/v2/publish', { token: admin, raw: wide });
    expect(r1.status).toBe(400);
    expect((r1.body as { msg: string }).msg).toMatch(/^tid: .*an object with keys "k0", "k1", "k2", … \(3000 keys\)/);
    const huge = await call(server, 'POST', '/api/v2/publish', {
      token: admin,
      body: { tid: 'x'.repeat(50_000), msg: 'x' },
    });
    expect(huge.status).toBe(400);
    expect(huge.text.length).toBeLessThan(400);
    const many = await call(server, 'POST', '/api/v2/multicast', {
      token: admin,
      body: { uids: Array.from({ length: 5000 }, () => ''), msg: 'x' },
    });
    expect(many.status).toBe(400);
    expect((many.body as { msg: string }).msg).toMatch(/and 4990 more$/);
    expect(many.text.length).toBeLessThan(2000);
  });

  it('stores prototype keys as plain data in a wide, nested payload', async () => {
    const raw = `{"tid":"proto-keys","msg":"x","opts":{"__proto__":{"admin":true},"constructor":{"prototype":{"polluted":1}},${Array.from(
      { length: 2000 },
      (_, i) => `"k${i}":{"toString":${i}}`,
    ).join(',')}}}`;
    const r = await call(server, 'POST', '/api/v2/publish', { token: admin, raw });
    expect(r.status).toBe(200);
    const m = await call(server, 'GET', `/api/v2/messages/${r.headers.get('x-message-id') ?? ''}`, { token: admin });
    const opts = (m.body as { opts: Record<string, unknown> }).opts;
    expect(Object.keys(opts)).toHaveLength(2002);
    expect(Object.getOwnPropertyDescriptor(opts, '__proto__')?.value).toEqual({ admin: true });
  });
});

describe('the depth limit is one setting', () => {
  let shallow: Server;
  beforeAll(async () => {
    shallow = await startServer({ env: { MSGXC_JSON_MAX_DEPTH: '8' } });
  });
  afterAll(async () => {
    await shallow.stop();
    removeDir(shallow.dataDir);
  });

  it('MSGXC_JSON_MAX_DEPTH=8 refuses 9 levels and takes 8', async () => {
    const body = (depth: number): string =>
      `{"tid":"eight","msg":"x","opts":${'{"a":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}}`;
    const over = await call(shallow, 'POST', '/api/v2/publish', { token: admin, raw: body(9) });
    expect(over).toMatchObject({ status: 400, body: { code: 'JsonTooDeep', msg: /deeper than 8 levels/ } });
    expect((await call(shallow, 'POST', '/api/v2/publish', { token: admin, raw: body(8) })).status).toBe(200);
    await expectHealthy(shallow);
  });

  it('a value out of range stops the broker at start, naming the variable', async () => {
    const dataDir = tempDir();
    const started: Server | Error = await startServer({ dataDir, env: { MSGXC_JSON_MAX_DEPTH: '1000' } }).catch(
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    if (!(started instanceof Error)) await started.stop(); // a broker that ignored the setting must not outlive the test
    removeDir(dataDir);
    expect(started instanceof Error ? started.message : 'started').toMatch(
      /MSGXC_JSON_MAX_DEPTH: expected an integer between 4 and 32/,
    );
  });
});
