import { afterAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';

// "A 2xx means the events are durable": kill -9 the broker in the middle of a burst of
// sends, restart it on the same data directory, and find every acknowledged message.
describe('kill -9 during a burst of sends', () => {
  const dataDir = tempDir();
  let server: Server | undefined;
  afterAll(async () => { await server?.stop(); removeDir(dataDir); });

  it('loses no message that was answered 2xx', async () => {
    server = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    const admin = await token('root', ['admin']);
    const acked: string[] = [];
    let killed = false;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !killed; i++) {
        try {
          const r = await call(server as Server, 'POST', '/api/v2/send', { token: admin, body: { uid: `u${w}`, msg: `burst ${w}/${i}` } });
          if (r.status === 200) acked.push(r.headers.get('x-message-id') ?? '');
        } catch {
          return; // connection refused or reset: the process is gone
        }
      }
    };
    const workers = Array.from({ length: 32 }, (_, w) => worker(w));
    // Kill in the middle of the burst: once a good number of sends were answered, with 32 in flight.
    for (const end = Date.now() + 30_000; acked.length < 200;) {
      if (Date.now() > end) throw new Error(`only ${String(acked.length)} sends answered in 30 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    killed = true;
    await server.stop('SIGKILL');
    await Promise.all(workers);
    expect(acked.length).toBeGreaterThan(50);

    server = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    const missing: string[] = [];
    for (const mid of acked) {
      const r = await call(server, 'GET', `/api/v2/streams/message-${mid}`, { token: admin });
      const events = (r.body as { events: { type: string }[] }).events;
      if (events[0]?.type !== 'MessagePublished') missing.push(mid);
    }
    expect(missing).toEqual([]);
  });
});
