import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, waitForOutput, type Server } from './harness.js';
import { expectHealthy, parseResponses, rawHttp, rawRequest } from './raw-http.js';

// HTTP/1.1 edges over raw sockets (issue 9, finding 7), with the outcomes settled in
// docs/http-edges.md: uWS 20.30 refuses a request pipelined behind a pending answer by closing
// the connection, so the broker never commits a request it could not answer; framing a proxy
// could read differently is refused and nothing behind it runs; what uWS refuses before our
// code sees it leaves the process alive and serving.
let server: Server;
let alice: string;

beforeAll(async () => {
  server = await startServer();
  alice = await token('alice');
  // A token the broker has verified before is checked without I/O, so a request can run
  // within the same read as the one behind it: the case that used to commit unanswered.
  expect((await call(server, 'GET', '/api/v2/inbox', { token: alice })).status).toBe(200);
});
afterAll(async () => {
  await server.stop();
  removeDir(server.dataDir);
});
afterEach(async () => {
  await expectHealthy(server);
});

const ping = rawRequest('GET', '/api/v2/ping');
const publish = (tid: string, requestId: string): string =>
  rawRequest(
    'POST',
    '/api/v2/publish',
    {
      Authorization: `Bearer ${alice}`,
      'Content-Type': 'application/json',
      'X-Request-Id': requestId,
    },
    JSON.stringify({ tid, msg: 'exactly once' }),
  );
const threadMessages = async (tid: string): Promise<{ status: number; count: number }> => {
  const r = await call(server, 'GET', `/api/v2/threads/${tid}/messages`, { token: alice });
  return { status: r.status, count: r.status === 200 ? (r.body as { messages: unknown[] }).messages.length : 0 };
};

describe('pipelining', () => {
  it('requests answered without waiting on I/O are all answered, in order', async () => {
    const a = await rawHttp(server, ping + rawRequest('GET', '/healthz') + ping, { expect: 3 });
    expect(a.responses.map((r) => [r.status, r.body])).toEqual([
      [200, 'true'],
      [200, '{"status":"ok"}'],
      [200, 'true'],
    ]);
  });

  it('a POST with a request pipelined behind it is not committed; the connection closes unanswered and a retry publishes once', async () => {
    const tid = `pipelined-${Date.now()}`;
    const rid = `pipelined-post-${Date.now()}`;
    const a = await rawHttp(server, publish(tid, rid) + ping);
    expect(a.ended).toBe('end');
    expect(a.responses).toEqual([]);
    // The decision is logged: the request never ran, so a retry is safe.
    await waitForOutput(server, new RegExp(`"reqId":"${rid}"[^\\n]*request abandoned before it ran`));
    expect(await threadMessages(tid)).toEqual({ status: 404, count: 0 });
    const retry = await rawHttp(server, publish(tid, `${rid}-retry`), { expect: 1 });
    expect(retry.responses[0]?.status).toBe(200);
    expect(await threadMessages(tid)).toEqual({ status: 200, count: 1 });
  });

  it('two POSTs pipelined: neither is committed', async () => {
    const tid = `pipelined-pair-${Date.now()}`;
    const a = await rawHttp(server, publish(tid, `${tid}-1`) + publish(tid, `${tid}-2`));
    expect(a.responses).toEqual([]);
    await waitForOutput(server, new RegExp(`"reqId":"${tid}-1"[^\\n]*request abandoned before it ran`));
    expect(await threadMessages(tid)).toEqual({ status: 404, count: 0 });
  });
});

describe('framing a proxy could read differently: 400, the connection closed, nothing behind it runs', () => {
  const body = '{"tid":"t","msg":"x"}';
  const post = (headers: Record<string, string>, payload = body): string =>
    rawRequest('POST', '/api/v2/publish', { Authorization: `Bearer ${alice}`, ...headers }, payload);
  const cases: Record<string, string> = {
    'duplicate Content-Length (different values)': post({
      'Content-Length': String(body.length),
      'Content-length': '999',
    }),
    'duplicate Content-Length (same value)': post({
      'Content-Length': String(body.length),
      'content-length': String(body.length),
    }),
    'Transfer-Encoding other than chunked': post(
      { 'Transfer-Encoding': 'gzip, chunked' },
      `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ),
    'duplicate Transfer-Encoding': post(
      { 'Transfer-Encoding': 'chunked', 'transfer-encoding': 'chunked' },
      `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ),
    'duplicate Host': post({ Host: 'elsewhere', 'Content-Length': String(body.length) }),
  };

  for (const [name, request] of Object.entries(cases)) {
    it(name, async () => {
      const a = await rawHttp(server, request);
      expect(a.ended).toBe('end');
      expect(a.responses).toHaveLength(1);
      expect(a.responses[0]).toMatchObject({ status: 400, headers: { connection: 'close' } });
      expect(JSON.parse(a.responses[0]?.body ?? '')).toMatchObject({ code: 'BadRequestFraming' });
    });
  }

  it('HEAD: a GET route runs and answers without content, another method a 405 without content; the connection stays in step', async () => {
    const a = await rawHttp(server, rawRequest('HEAD', '/healthz') + rawRequest('HEAD', '/api/v2/publish') + ping, {
      expect: 3,
    });
    expect(a.responses.map((r) => [r.status, r.body])).toEqual([
      [200, ''],
      [405, ''],
      [200, 'true'],
    ]);
    expect(a.responses[1]?.headers['allow']).toBe('POST');
    // A read answered after I/O, then, once its answer's head has arrived, a GET on the same
    // socket: content after the HEAD answer would come before the GET's answer and break it.
    const bytes = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      let got = '';
      let asked = false;
      // A deadline, not a wait: answers out of step never make two whole responses.
      const deadline = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no two answers in step within 10 s: ${JSON.stringify(got.slice(0, 600))}`));
      }, 10_000);
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (!asked && got.includes('\r\n\r\n')) {
          asked = true;
          socket.write(rawRequest('GET', '/healthz'));
        }
        if (parseResponses(got).length === 2) {
          clearTimeout(deadline);
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      socket.on('connect', () => {
        socket.write(rawRequest('HEAD', '/api/v2/inbox', { Authorization: `Bearer ${alice}` }));
      });
    });
    expect(parseResponses(bytes).map((r) => [r.status, r.body])).toEqual([
      [200, ''],
      [200, '{"status":"ok"}'],
    ]);
  });

  it('a request smuggled behind a duplicate Content-Length never runs', async () => {
    // Before the fix uWS ran the pipelined ping after the 400 and kept the connection open.
    const a = await rawHttp(server, `${cases['duplicate Content-Length (same value)'] ?? ''}${ping}`);
    expect(a.ended).toBe('end');
    expect(a.responses.filter((r) => r.status === 200)).toEqual([]);
  });

  it('Content-Length with Transfer-Encoding: uWS closes the connection unanswered', async () => {
    const a = await rawHttp(
      server,
      post({ 'Content-Length': String(body.length), 'Transfer-Encoding': 'chunked' }, `0\r\n\r\n${ping}`),
    );
    expect(a.ended).toBe('end');
    expect(a.responses).toEqual([]);
  });
});

describe('requests uWS refuses before the broker sees them leave it alive and serving', () => {
  const headers60 = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`X-Filler-${i}`, 'v']));
  const malformed: Record<string, string> = {
    'a malformed request line': 'GARBAGE\r\n\r\n',
    'an unknown HTTP version': 'GET /api/v2/ping HTTP/9.9\r\nHost: x\r\n\r\n',
    'no Host header': 'GET /api/v2/ping HTTP/1.1\r\n\r\n',
    '60 headers': rawRequest('GET', '/api/v2/ping', headers60),
    'a bare CR in a header': 'GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n',
    'a NUL in a header': 'GET /api/v2/ping HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n',
    'an oversized header (200 KB)': rawRequest('GET', '/api/v2/ping', { 'X-Big': 'a'.repeat(200_000) }),
    'a negative Content-Length': rawRequest('POST', '/api/v2/publish', { 'Content-Length': '-1' }),
  };

  for (const [name, request] of Object.entries(malformed)) {
    it(name, async () => {
      // uWS answers none of these; the socket is closed (or held until uWS's own timeout,
      // about 10 s). Meanwhile the broker serves others: the afterEach check runs on new
      // connections before this one is let go.
      const pending = rawHttp(server, request, { untilMs: 300 });
      await expectHealthy(server);
      const a = await pending;
      expect(a.responses.filter((r) => r.status < 400)).toEqual([]);
    });
  }
});
