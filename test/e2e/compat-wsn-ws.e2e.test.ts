import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { connect } from './wsn-socket.js';

// webservice-notification's socket protocol (seed 003's client: `socket.emit(name, data)` sends
// `{name, data}`; frames come back as `{name, data}` with `data` a JSON string of a list), as
// the `?compat=webservice-notification` mode of the websocket endpoint.
describe('webservice-notification websocket mode', () => {
  const dataDir = tempDir();
  let s: Server;
  let server: string;
  let jwt: string;
  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    server = await token('server', ['admin']);
    jwt = await token('5');
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });
  const notify = async (content: string): Promise<string> => {
    const r = await call(s, 'POST', '/notify', {
      token: server,
      body: { content, title: `title of ${content}`, type: 'info', users: JSON.stringify([{ id: 5, email: null }]) },
    });
    expect(r.status, r.text).toBe(200);
    return r.headers.get('x-message-id') ?? '';
  };

  it('unseen on connect, live notifications, seen/delete to every session, content pages', async () => {
    const first = await notify('before you came');
    const a = await connect(s, jwt);
    const onConnect = await a.next('notification');
    expect(onConnect).toEqual([
      expect.objectContaining({
        _id: first,
        content: 'before you came',
        title: 'title of before you came',
        type: 'info',
        seen: false,
      }),
    ]);
    const b = await connect(s, jwt);
    await b.next('notification');

    const second = await notify('live one');
    for (const c of [a, b])
      expect(await c.next('notification')).toEqual([expect.objectContaining({ _id: second, content: 'live one' })]);

    a.emit('seen', { ids: [first] });
    for (const c of [a, b]) expect(await c.next('seen')).toEqual([first]);
    a.emit('unseen');
    expect((await a.next('notification')).map((n) => (n as { _id: string })._id)).toEqual([second]);

    a.emit('content', { page: 0 });
    expect((await a.next('notification')).map((n) => (n as { content: string }).content)).toEqual([
      'live one',
      'before you came',
    ]);
    a.emit('content', { page: 1 });
    expect(await a.next('notification')).toEqual([]);

    a.emit('delete', { ids: [second] });
    for (const c of [a, b]) expect(await c.next('delete')).toEqual([second]);
    a.emit('content', { page: 0 });
    expect((await a.next('notification')).map((n) => (n as { _id: string })._id)).toEqual([first]);

    a.emit('join', { login: 'ignored', password: 'ignored' });
    expect(await a.next('notification')).toEqual([]);
    a.emit('bogus');
    expect(await a.next('error')).toEqual(expect.objectContaining({ code: 'UnknownFrame' }));
    a.emit('content', { page: 'x' });
    expect(await a.next('error')).toEqual(expect.objectContaining({ code: 'UnknownFrame' }));
    a.emit('seen', { ids: 'nope' });
    expect(await a.next('error')).toEqual(expect.objectContaining({ code: 'InvalidFrame' }));
    a.close();
    b.close();
  });

  // The ids of a seen/delete travel with the frame to its answer: a refused frame in between
  // (answered at once, while the delete's command is still running) must not lose them.
  it('a refused frame does not empty the answer of a seen or delete still running', async () => {
    const mid = await notify('to delete while refused');
    const c = await connect(s, await token('7'));
    await c.next('notification');
    const other = await notify('to see while refused');
    c.emit('delete', { ids: [mid] });
    c.emit('seen', { ids: 'nope' });
    c.emit('content', { page: 99 });
    expect(await c.next('error')).toEqual(expect.objectContaining({ code: 'InvalidFrame' }));
    expect(await c.next('delete')).toEqual([mid]);
    c.emit('seen', { ids: [other] });
    c.emit('bogus');
    expect(await c.next('seen')).toEqual([other]);
    c.close();
  });

  // A wsn session's user receives what lands in their inbox (the unseen answer lists it): a
  // broadcast, and a message of a thread they subscribe to, whether they joined it before the
  // session opened or while it is live, reach the open session too, not only the next unseen.
  it('broadcasts and thread messages reach a live session as notifications', async () => {
    const user = await token('8');
    const early = await call(s, 'POST', '/api/v2/threads', { token: server, body: { tid: 'wsn-early', name: 'E' } });
    expect(early.status, early.text).toBe(201);
    const m1 = await call(s, 'POST', '/api/v2/threads/wsn-early/members', {
      token: server,
      body: { uid: '8', role: 'subscriber' },
    });
    expect(m1.status, m1.text).toBe(200);
    const c = await connect(s, user);
    await c.next('notification');

    const b = await call(s, 'POST', '/api/v2/broadcast', { token: server, body: { msg: 'to everyone' } });
    expect(b.status, b.text).toBe(200);
    expect(await c.next('notification')).toEqual([expect.objectContaining({ content: 'to everyone' })]);

    const p1 = await call(s, 'POST', '/api/v2/publish', {
      token: server,
      body: { tid: 'wsn-early', msg: 'early thread' },
    });
    expect(p1.status, p1.text).toBe(200);
    expect(await c.next('notification')).toEqual([expect.objectContaining({ content: 'early thread' })]);

    const late = await call(s, 'POST', '/api/v2/threads', { token: server, body: { tid: 'wsn-late', name: 'L' } });
    expect(late.status, late.text).toBe(201);
    const m2 = await call(s, 'POST', '/api/v2/threads/wsn-late/members', {
      token: server,
      body: { uid: '8', role: 'subscriber' },
    });
    expect(m2.status, m2.text).toBe(200);
    const p2 = await call(s, 'POST', '/api/v2/publish', {
      token: server,
      body: { tid: 'wsn-late', msg: 'late thread' },
    });
    expect(p2.status, p2.text).toBe(200);
    expect(await c.next('notification')).toEqual([expect.objectContaining({ content: 'late thread' })]);

    // A thread the user is not in stays silent: the next notification is the one sent to them.
    const other = await call(s, 'POST', '/api/v2/threads', { token: server, body: { tid: 'wsn-other', name: 'O' } });
    expect(other.status, other.text).toBe(201);
    const p3 = await call(s, 'POST', '/api/v2/publish', {
      token: server,
      body: { tid: 'wsn-other', msg: 'not yours' },
    });
    expect(p3.status, p3.text).toBe(200);
    const mine = await call(s, 'POST', '/notify', { token: server, body: { content: 'yours', users: [{ id: 8 }] } });
    expect(mine.status, mine.text).toBe(200);
    expect(await c.next('notification')).toEqual([expect.objectContaining({ content: 'yours' })]);
    c.close();
  });

  it('refuses an unknown compat mode, and no token, at the upgrade', async () => {
    const status = (url: string, headers: Record<string, string>) =>
      new Promise<number>((res) => {
        const ws = new WebSocket(url, { headers });
        ws.on('unexpected-response', (_q, r) => {
          res(r.statusCode ?? 0);
        });
        ws.on('open', () => {
          ws.close();
          res(101);
        });
      });
    const base = `ws://127.0.0.1:${s.port}/api/v2/ws`;
    expect(await status(`${base}?compat=socketio`, { authorization: `Bearer ${jwt}` })).toBe(400);
    expect(await status(`${base}?compat=webservice-notification`, {})).toBe(401);
  });
});
