import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { openSocket, type Frame } from './realtime-socket.js';

// msgxc's websocket frames (seed 004's example client, examples/xcwww/src/realtime): it sent
// `{slug: '/ping'}` and `{slug: '<prefix>/subscribe/thread', tid, jwt}` and read `{slug, data}`
// or `{error}` back. Accepted as aliases on the one websocket endpoint.
describe('msgxc {slug, data} websocket frames', () => {
  const dataDir = tempDir();
  let s: Server;
  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  it('ping, subscribe and unsubscribe by slug; live messages follow; errors as {error}', async () => {
    const alice = await token('alice');
    expect(
      (await call(s, 'POST', '/api/v2/threads', { token: alice, body: { tid: 'lobby', opens: true } })).status,
    ).toBe(201);
    expect((await call(s, 'POST', '/api/v2/threads', { token: alice, body: { tid: 'private' } })).status).toBe(201);
    const bobToken = await token('bob');
    const ws = await openSocket(s, bobToken);
    await ws.next((f) => f.type === 'hello');
    const bySlug = (slug: string) => (f: Frame) => f['slug'] === slug || 'error' in f;

    ws.send({ slug: '/ping' });
    expect(await ws.next(bySlug('/ping'))).toEqual({ slug: '/ping', data: { type: 'pong' } });

    ws.send({ slug: '/api/v2/subscribe/thread', tid: 'lobby', jwt: 'ignored: the upgrade authenticated bob' });
    expect(await ws.next(bySlug('/api/v2/subscribe/thread'))).toEqual({
      slug: '/api/v2/subscribe/thread',
      data: { slug: '/thread/lobby', ok: true, action: 'subscribed' },
    });
    const sent = await call(s, 'POST', '/api/v2/publish', { token: alice, body: { tid: 'lobby', msg: 'hello lobby' } });
    const mid = sent.headers.get('x-message-id');
    expect(await ws.next((f) => f.type === 'message' && f['mid'] === mid)).toMatchObject({
      tid: 'lobby',
      msg: 'hello lobby',
    });

    // msgxc's server read the thread as `thread`; both names work. A hidden thread is refused as unknown.
    ws.send({ slug: '/api/v2/subscribe/thread', thread: 'private' });
    expect(await ws.next((f) => 'error' in f)).toEqual({
      error: { code: 'ThreadNotFound', msg: expect.any(String) as string },
    });
    ws.send({ slug: '/api/v2/subscribe/thread' });
    expect(await ws.next((f) => 'error' in f)).toEqual({
      error: { code: 'InvalidFrame', msg: expect.stringContaining('tid') as string },
    });
    ws.send({ slug: '/api/v2/publish' });
    expect(await ws.next((f) => 'error' in f)).toEqual({
      error: { code: 'UnknownFrame', msg: expect.stringContaining('/api/v2/publish') as string },
    });
    ws.send({ slug: 42 });
    expect(await ws.next((f) => 'error' in f)).toEqual({
      error: { code: 'UnknownFrame', msg: expect.stringContaining('slug') as string },
    });

    ws.send({ slug: '/api/v2/unsubscribe/thread', tid: 'lobby' });
    expect(await ws.next(bySlug('/api/v2/unsubscribe/thread'))).toEqual({
      slug: '/api/v2/unsubscribe/thread',
      data: { slug: '/thread/lobby', ok: true, action: 'unsubscribed' },
    });
    // Our own frames keep working beside them, answered in our shape.
    ws.send({ type: 'ping', id: 7 });
    expect(await ws.next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 7 });
    await ws.close();
  });
});
