import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Reply, type Server } from './harness.js';
import { openLive, type TestSocket } from './realtime-socket.js';

// Issue 9, finding 6, through the real process. Before: subscribing to an unknown thread
// claimed it (anyone could squat another user's predictable thread id); subscribe answered 403
// for a private thread and 200 for an unknown one; cancel and DELETE answered 403 for a hidden
// message and 404 for an unknown one, and cancel with a guessed tid told which thread a hidden
// message is in. Now only creating or publishing claims a tid, and a caller without rights gets
// the very same answer (status and body) for what is hidden as for what does not exist.
describe('no squatting, no existence oracle, on a real server process', () => {
  let server: Server;
  let alice: string;
  let mallory: string;
  let hiddenMid: string;
  let scheduledMid: string;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    server = await startServer();
    alice = await token('alice');
    mallory = await token('mallory');
    expect(
      (await call(server, 'POST', '/api/v2/threads', { token: alice, body: { tid: 'alice-private', name: 'Private' } }))
        .status,
    ).toBe(201);
    const p = await call(server, 'POST', '/api/v2/publish', {
      token: alice,
      body: { tid: 'alice-private', msg: 'hidden' },
    });
    hiddenMid = p.headers.get('x-message-id') ?? '';
    const s = await call(server, 'POST', '/api/v2/publish', {
      token: alice,
      body: { tid: 'alice-private', msg: 'later', scheduled: Date.now() + 3600_000 },
    });
    scheduledMid = s.headers.get('x-message-id') ?? '';
  });
  afterAll(async () => {
    for (const s of sockets) await s.close();
    await server.stop();
    removeDir(server.dataDir);
  });

  /** The answer a stranger gets, without what may differ between any two requests. */
  const seen = (r: Reply): { status: number; body: unknown } => ({ status: r.status, body: r.body });
  const as = (t: string, method: string, path: string, body?: unknown) =>
    call(server, method, path, { token: t, ...(body === undefined ? {} : { body }) });
  const unknownMid = '0190f3a2-0000-7000-8000-000000000abc';

  it('subscribing to an unknown thread claims nothing: its owner can still create it', async () => {
    expect(seen(await as(mallory, 'POST', '/api/v2/subscribe', { tid: 'alice-next' }))).toEqual({
      status: 404,
      body: { code: 'ThreadNotFound', msg: 'no thread has this tid' },
    });
    expect((await as(alice, 'POST', '/api/v2/threads', { tid: 'alice-next' })).status).toBe(201);
  });

  it('subscribe, unsubscribe and adding members: a private thread answers exactly as an unknown one', async () => {
    const pairs: [string, string, (tid: string) => unknown][] = [
      ['POST', '/api/v2/subscribe', (tid) => ({ tid })],
      ['POST', '/api/v2/unsubscribe', (tid) => ({ tid })],
      ['POST', '/api/v2/unsubscribe', (tid) => ({ tid, uid: 'alice' })],
    ];
    for (const [method, path, body] of pairs) {
      const hidden = seen(await as(mallory, method, path, body('alice-private')));
      expect(hidden.status).toBe(404);
      expect(hidden, path).toEqual(seen(await as(mallory, method, path, body('nobody-has-this'))));
    }
    const member = { uid: 'mallory', role: 'admin' };
    expect(seen(await as(mallory, 'POST', '/api/v2/threads/alice-private/members', member))).toEqual(
      seen(await as(mallory, 'POST', '/api/v2/threads/nobody-has-this/members', member)),
    );
  });

  it('reading: a private thread, its messages and a hidden message answer exactly as unknown ones, with the id named alike', async () => {
    const hidden = seen(await as(mallory, 'GET', '/api/v2/threads/alice-private'));
    expect(hidden.status).toBe(404);
    expect(JSON.stringify(hidden).replace('alice-private', 'X')).toBe(
      JSON.stringify(seen(await as(mallory, 'GET', '/api/v2/threads/nobody-has-this'))).replace('nobody-has-this', 'X'),
    );
    const page = seen(await as(mallory, 'GET', '/api/v2/threads/alice-private/messages'));
    expect(JSON.stringify(page).replace('alice-private', 'X')).toBe(
      JSON.stringify(seen(await as(mallory, 'GET', '/api/v2/threads/nobody-has-this/messages'))).replace(
        'nobody-has-this',
        'X',
      ),
    );
    const message = seen(await as(mallory, 'GET', `/api/v2/messages/${hiddenMid}`));
    expect(message.status).toBe(404);
    expect(JSON.stringify(message).replace(hiddenMid, 'X')).toBe(
      JSON.stringify(seen(await as(mallory, 'GET', `/api/v2/messages/${unknownMid}`))).replace(unknownMid, 'X'),
    );
  });

  // A member who joins later sees the thread's older messages in its history: opening one of them
  // by id (here and on onadata's route) must not answer that it does not exist.
  it('a member who joined after a message was published reads it by id, as in the thread history', async () => {
    const bob = await token('bob');
    expect((await as(bob, 'GET', `/api/v2/messages/${hiddenMid}`)).status).toBe(404);
    expect(
      (await as(alice, 'POST', '/api/v2/threads/alice-private/members', { uid: 'bob', role: 'subscriber' })).status,
    ).toBe(200);
    const history = await as(bob, 'GET', '/api/v2/threads/alice-private/messages');
    expect((history.body as { messages: { mid: string }[] }).messages.map((m) => m.mid)).toContain(hiddenMid);
    const one = await as(bob, 'GET', `/api/v2/messages/${hiddenMid}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ mid: hiddenMid, msg: 'hidden', status: 'published' });
    // Not before its time: a scheduled message stays out of reach as it stays out of the history.
    expect((await as(bob, 'GET', `/api/v2/messages/${scheduledMid}`)).status).toBe(404);
    expect((await as(mallory, 'GET', `/api/v2/messages/${hiddenMid}`)).status).toBe(404);
  });

  it('cancel and DELETE: a hidden message answers exactly as an unknown one, whichever tid is named', async () => {
    const unknown = seen(await as(mallory, 'POST', '/api/v2/cancel', { mid: unknownMid }));
    expect(unknown).toEqual({ status: 404, body: { code: 'MessageNotFound', msg: 'no message has this mid' } });
    for (const body of [
      { mid: scheduledMid },
      { mid: scheduledMid, tid: 'alice-private' },
      { mid: scheduledMid, tid: 'elsewhere' },
    ]) {
      expect(seen(await as(mallory, 'POST', '/api/v2/cancel', body)), JSON.stringify(body)).toEqual(unknown);
    }
    expect(seen(await as(mallory, 'DELETE', `/api/v2/messages/${hiddenMid}`))).toEqual(
      seen(await as(mallory, 'DELETE', `/api/v2/messages/${unknownMid}`)),
    );
    // Nothing happened to them: alice still sees both, the scheduled one still upcoming.
    expect((await as(alice, 'GET', `/api/v2/messages/${hiddenMid}`)).status).toBe(200);
    expect((await as(alice, 'GET', `/api/v2/messages/${scheduledMid}`)).body).toMatchObject({ status: 'scheduled' });
  });

  it('over the websocket: subscribe and history frames answer a private thread exactly as an unknown one', async () => {
    const s = await openLive(server, mallory);
    sockets.push(s);
    const answer = async (frame: Record<string, unknown>): Promise<unknown> => {
      s.send(frame);
      const f = await s.next((x) => x.id === frame['id']);
      return { type: f.type, code: f['code'], msg: String(f['msg']).replace(String(frame['tid']), 'X') };
    };
    expect(await answer({ type: 'subscribe', tid: 'alice-private', id: 1 })).toEqual(
      await answer({ type: 'subscribe', tid: 'nobody-has-this', id: 2 }),
    );
    expect(await answer({ type: 'history', tid: 'alice-private', id: 3 })).toEqual(
      await answer({ type: 'history', tid: 'nobody-has-this', id: 4 }),
    );
  });

  it('a seed client that subscribes then publishes: the subscribe is 404 (nothing to join yet), the publish claims the thread, then it may subscribe', async () => {
    const seed = await token('seed-client');
    const tid = '5ae3c890-5e55-11ea-9283-4fa18a847130';
    expect((await as(seed, 'POST', '/api/v2/subscribe', { tid })).status).toBe(404);
    expect(
      (await as(seed, 'POST', '/api/v2/publish', { tid, msg: 'the message you want to send', opts: {} })).status,
    ).toBe(200);
    expect((await as(seed, 'POST', '/api/v2/subscribe', { tid })).body).toBe(true);
    expect((await as(seed, 'GET', `/api/v2/threads/${tid}`)).body).toMatchObject({
      owner: 'seed-client',
      opens: false,
    });
  });
});
