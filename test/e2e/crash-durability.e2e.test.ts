import { afterAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { isProductionStack } from './stack.js';

// "A 2xx means the events are durable": kill -9 the broker in the middle of a burst of
// sends, restart it on the same data directory, and find every acknowledged message. On the
// embedded log, with either writer (MSGXC_EMBEDDED_WRITER: inline on the event loop, or a
// writer thread); the production stack's log is JetStream, where the setting does not apply.
const writers = isProductionStack() ? [undefined] : (['inline', 'thread'] as const);
for (const writer of writers)
  describe(`kill -9 during a burst of sends${writer === undefined ? '' : ` (${writer} writer)`}`, () => {
    const env = { MSGXC_LOG_LEVEL: 'warn', ...(writer === undefined ? {} : { MSGXC_EMBEDDED_WRITER: writer }) };
    const dataDir = tempDir();
    let server: Server | undefined;
    afterAll(async () => {
      await server?.stop();
      removeDir(dataDir);
    });

    it('loses no message that was answered 2xx', async () => {
      server = await startServer({ dataDir, env });
      const admin = await token('root', ['admin']);
      const acked: string[] = [];
      let killed = false;
      const worker = async (w: number): Promise<void> => {
        for (let i = 0; !killed; i++) {
          try {
            const r = await call(server as Server, 'POST', '/api/v2/send', {
              token: admin,
              body: { uid: `u${w}`, msg: `burst ${w}/${i}` },
            });
            if (r.status === 200) acked.push(r.headers.get('x-message-id') ?? '');
          } catch {
            return; // connection refused or reset: the process is gone
          }
        }
      };
      const workers = Array.from({ length: 32 }, (_, w) => worker(w));
      // Kill in the middle of the burst: once a good number of sends were answered, with 32 in flight.
      for (const end = Date.now() + 30_000; acked.length < 200; ) {
        if (Date.now() > end) throw new Error(`only ${String(acked.length)} sends answered in 30 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      killed = true;
      await server.stop('SIGKILL');
      await Promise.all(workers);
      expect(acked.length).toBeGreaterThan(50);

      server = await startServer({ dataDir, env });
      const missing: string[] = [];
      for (const mid of acked) {
        const r = await call(server, 'GET', `/api/v2/streams/message-${mid}`, { token: admin });
        const events = (r.body as { events: { type: string }[] }).events;
        if (events[0]?.type !== 'MessagePublished') missing.push(mid);
      }
      expect(missing).toEqual([]);
    });
  });

// Idempotency-Key answers live in <data dir>/idempotency.db: a client retrying after the
// broker was killed (answer received or not) gets the first answer, and the message once.
describe('Idempotency-Key across a kill -9 and restart', () => {
  const dataDir = tempDir();
  let server: Server | undefined;
  afterAll(async () => {
    await server?.stop();
    removeDir(dataDir);
  });

  it('answers a retry with the first answer and the same message id, 422 for another body, and keeps one message', async () => {
    server = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    const admin = await token('root', ['admin']);
    const send = (s: Server, msg: string) =>
      call(s, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: 'kim', msg },
        headers: { 'idempotency-key': 'retry-after-crash' },
      });
    const first = await send(server, 'exactly once');
    expect(first.status).toBe(200);
    await server.stop('SIGKILL');
    server = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    const again = await send(server, 'exactly once');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('x-message-id')).toBe(first.headers.get('x-message-id'));
    expect((await send(server, 'another body')).status).toBe(422);
    const inbox = await call(server, 'GET', '/api/v2/inbox', { token: await token('kim') });
    expect((inbox.body as { messages: { msg: string }[] }).messages.map((m) => m.msg)).toEqual(['exactly once']);
  });
});
