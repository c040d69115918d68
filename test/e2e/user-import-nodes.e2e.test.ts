import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeId, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { isProductionStack, stackEnv } from './stack.js';

// An import's totals are every node's: its parts answered by different HTTP threads
// (embedded: MSGXC_HTTP_THREADS=2, each request on a connection of its own, so the kernel
// spreads them) or by different broker nodes on one log (production: two processes, parts
// alternating), and a GET on any of them answers the whole import: totals and first errors.
// Before the parts were recorded in the log, each thread/node knew only its own parts.
interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly text: string;
}
const fresh = (port: number, method: string, path: string, tok: string, body?: string): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          connection: 'close',
          authorization: `Bearer ${tok}`,
          ...(body === undefined ? {} : { 'content-type': 'application/x-ndjson' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            /* not JSON: the status says why */
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const PARTS = 12;
const LINES = 50;
// Bad lines, by file line: a bad email, a line that is not JSON (and quotes a value), an unknown field.
const BAD: Readonly<Record<number, string>> = {
  7: '{"uid":"in-x1","email":"not-an-address"}',
  160: '{"uid": "in-secret-value',
  420: '{"uid":"in-x3","colour":"red"}',
};
const lineAt = (n: number): string =>
  BAD[n] ?? JSON.stringify({ uid: `in-${String(n).padStart(4, '0')}`, attributes: { n } });
const part = (k: number): { firstLine: number; body: string } => {
  const firstLine = k * LINES + 1;
  const lines = Array.from({ length: LINES }, (_, i) => lineAt(firstLine + i));
  return { firstLine, body: `${lines.join('\n')}\n` };
};
const TOTALS = {
  linesRead: PARTS * LINES,
  usersWritten: PARTS * LINES - 3,
  unchanged: 0,
  errors: 3,
  done: true,
};

/**
 * Import POSTs answered 200 by the thread that answers this scrape (a node with several threads
 * shows every thread's series, labelled `thread`; a node with one, unlabelled).
 */
const scrape = async (port: number, admin: string): Promise<{ thread: number; imports: number }> => {
  const text = (await fresh(port, 'GET', '/metrics', admin)).text;
  const thread = Number(/^msgxc_http_thread (\d+)$/m.exec(text)?.[1]);
  const imports = text
    .split('\n')
    .filter((l) => l.startsWith('msgxc_http_requests_total{') && l.includes('"/api/v2/users/import"'))
    .filter((l) => !l.includes('{thread="') || l.startsWith(`msgxc_http_requests_total{thread="${String(thread)}",`))
    .filter((l) => l.includes('"post"') && l.includes('"200"'))
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  return { thread, imports };
};

describe('a user import whose parts different threads or nodes answer', () => {
  const shared = tempDir('msgxc-import-nodes-');
  const servers: Server[] = [];
  let admin = '';

  beforeAll(async () => {
    if (isProductionStack()) {
      // Two broker processes, one system: the same stream, keyspace and index prefix.
      const env = (node: string) => ({ ...stackEnv(shared), MSGXC_NODE_ID: nodeId(node), MSGXC_LOG_LEVEL: 'warn' });
      servers.push(await startServer({ dataDir: tempDir(), env: env('imp-a') }));
      servers.push(await startServer({ dataDir: tempDir(), env: env('imp-b') }));
    } else servers.push(await startServer({ env: { MSGXC_HTTP_THREADS: '2', MSGXC_LOG_LEVEL: 'warn' } }));
    admin = await token('root', ['admin']);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const d of [...servers.map((s) => s.dataDir), shared]) removeDir(d);
  });
  // Request i goes to node i (production) or to whichever thread the kernel picks (embedded).
  const portOf = (i: number): number => servers[i % servers.length]?.port ?? 0;

  it('GET on every thread or node answers the whole import, a retried part counts once', async () => {
    const id = 'import-across-nodes';
    const answers: Answer[] = [];
    for (let k = 0; k < PARTS; k += 1) {
      const { firstLine, body } = part(k);
      answers.push(await fresh(portOf(k), 'POST', `/api/v2/users/import?id=${id}&firstLine=${firstLine}`, admin, body));
    }
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: PARTS }, () => 200));
    // Each answer holds every part recorded before it, wherever it ran: the last one, all of them.
    expect(answers.map((a) => a.json['linesRead'])).toEqual(Array.from({ length: PARTS }, (_, k) => (k + 1) * LINES));
    expect(answers.at(-1)?.json).toMatchObject(TOTALS);
    if (!isProductionStack()) {
      // Both threads answered some of the parts.
      const seen = new Map<number, number>();
      for (let i = 0; i < 200 && seen.size < 2; i += 1) {
        const m = await scrape(portOf(0), admin);
        seen.set(m.thread, m.imports);
      }
      expect(seen.get(0) ?? 0).toBeGreaterThan(0);
      expect(seen.get(1) ?? 0).toBeGreaterThan(0);
    }
    const expectWhole = async (): Promise<void> => {
      for (let i = 0; i < 6; i += 1) {
        const got = await fresh(portOf(i), 'GET', `/api/v2/users/import/${id}`, admin);
        expect(got.status, got.text).toBe(200);
        expect(got.json).toMatchObject(TOTALS);
        const errs = got.json['firstErrors'] as { line: number; field: string; msg: string }[];
        expect(errs.map((e) => [e.line, e.field])).toEqual([
          [7, 'email'],
          [160, ''],
          [420, 'colour'],
        ]);
        expect(errs[1]?.msg).toMatch(/^not JSON/);
        // The log's record of the import quotes no value of a line (it is not sealed).
        expect(got.text).not.toContain('secret-value');
      }
    };
    await expectWhole();
    // A retried part (same id and first line), on another thread or node: counted once.
    const again = part(3);
    const retried = await fresh(
      portOf(1),
      'POST',
      `/api/v2/users/import?id=${id}&firstLine=${again.firstLine}`,
      admin,
      again.body,
    );
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject(TOTALS);
    await expectWhole();
  }, 120_000);

  it('an unknown import is 404 everywhere, and only admins import or read an import', async () => {
    const bob = await token('bob');
    for (let i = 0; i < 4; i += 1) {
      expect((await fresh(portOf(i), 'GET', '/api/v2/users/import/no-such-import', admin)).status).toBe(404);
      expect((await fresh(portOf(i), 'GET', '/api/v2/users/import/import-across-nodes', bob)).status).toBe(403);
      const post = await fresh(portOf(i), 'POST', '/api/v2/users/import?id=by-bob', bob, `${lineAt(1)}\n`);
      expect(post.status).toBe(403);
    }
    expect((await fresh(portOf(0), 'GET', '/api/v2/users/import/by-bob', admin)).status).toBe(404);
  });
});
