import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Server } from './harness.js';

interface Msg {
  mid: string;
  msg: string;
  seen?: boolean;
  read?: boolean;
}
const msgs = (r: { body: unknown }): string[] => (r.body as { messages: Msg[] }).messages.map((m) => m.msg);

describe('API flows on a real server process', () => {
  let s: Server;
  const t: Record<string, string> = {};
  beforeAll(async () => {
    s = await startServer();
    for (const u of ['alice', 'bob', 'carol', 'dave', 'eve', 'gina', 'x1', 'x2']) t[u] = await token(u);
    t['admin'] = await token('root', ['admin']);
    t['auditor'] = await token('audit', ['auditor']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });
  const as = (u: string) => ({ token: t[u] ?? '' });

  it('thread permissions: closed to subscribe and publish unless granted', async () => {
    expect(
      (await call(s, 'POST', '/api/v2/threads', { ...as('alice'), body: { tid: 'secret', name: 'Secret' } })).status,
    ).toBe(201);
    expect((await call(s, 'POST', '/api/v2/threads', { ...as('bob'), body: { tid: 'secret' } })).status).toBe(409);
    // A private thread is not found for a stranger, exactly like an unknown one (issue 9, finding 6).
    expect((await call(s, 'POST', '/api/v2/subscribe', { ...as('bob'), body: { tid: 'secret' } })).status).toBe(404);
    expect(
      (await call(s, 'POST', '/api/v2/publish', { ...as('bob'), body: { tid: 'secret', msg: 'hi' } })).status,
    ).toBe(403);
    expect(
      (await call(s, 'POST', '/api/v2/threads/secret/members', { ...as('bob'), body: { uid: 'bob', role: 'admin' } }))
        .status,
    ).toBe(404);
    expect(
      (
        await call(s, 'POST', '/api/v2/threads/secret/members', {
          ...as('alice'),
          body: { uid: 'bob', role: 'publisher' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(s, 'POST', '/api/v2/publish', { ...as('bob'), body: { tid: 'secret', msg: 'from bob' } })).status,
    ).toBe(200);
    expect((await call(s, 'GET', '/api/v2/threads/secret/messages', as('carol'))).status).toBe(404);
    expect(msgs(await call(s, 'GET', '/api/v2/threads/secret/messages', as('alice')))).toEqual(['from bob']);
  });

  it('publishing to an unknown thread creates a private one owned by the caller', async () => {
    expect(
      (await call(s, 'POST', '/api/v2/publish', { ...as('carol'), body: { tid: 'carols', msg: 'note to self' } }))
        .status,
    ).toBe(200);
    expect((await call(s, 'GET', '/api/v2/threads/carols', as('carol'))).body).toMatchObject({
      owner: 'carol',
      opens: false,
      openp: false,
    });
    expect((await call(s, 'GET', '/api/v2/threads/carols', as('bob'))).status).toBe(404);
  });

  it("a subscriber's inbox holds thread messages from when they subscribed until they unsubscribed", async () => {
    await call(s, 'POST', '/api/v2/threads', { ...as('alice'), body: { tid: 'news', opens: true } });
    await call(s, 'POST', '/api/v2/publish', { ...as('alice'), body: { tid: 'news', msg: 'before' } });
    await call(s, 'POST', '/api/v2/subscribe', { ...as('dave'), body: { tid: 'news' } });
    await call(s, 'POST', '/api/v2/publish', { ...as('alice'), body: { tid: 'news', msg: 'during' } });
    expect((await call(s, 'POST', '/api/v2/unsubscribe', { ...as('dave'), body: { tid: 'news' } })).status).toBe(200);
    await call(s, 'POST', '/api/v2/publish', { ...as('alice'), body: { tid: 'news', msg: 'after' } });
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('dave')))).toEqual(['during']);
  });

  it('broadcast reaches users known at the time; multicast reaches the listed users', async () => {
    await call(s, 'GET', '/api/v2/inbox', as('eve'));
    expect((await call(s, 'POST', '/api/v2/broadcast', { ...as('admin'), body: { msg: 'to everyone' } })).status).toBe(
      200,
    );
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('eve')))).toContain('to everyone');
    const late = await token('late-comer');
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', { token: late }))).not.toContain('to everyone');
    await call(s, 'POST', '/api/v2/multicast', { ...as('admin'), body: { msg: 'to two', uids: ['x1', 'x2', 'x1'] } });
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('x1')))).toContain('to two');
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('x2')))).toContain('to two');
  });

  it('pages an inbox newest first with a cursor, each message exactly once', async () => {
    for (let i = 1; i <= 5; i++)
      await call(s, 'POST', '/api/v2/send', { ...as('admin'), body: { uid: 'gina', msg: `g${i}` } });
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const page = await call(
        s,
        'GET',
        `/api/v2/inbox?limit=2${next ? `&before=${encodeURIComponent(next)}` : ''}`,
        as('gina'),
      );
      seen.push(...msgs(page));
      next = (page.body as { next: string | null }).next;
    } while (next !== null);
    expect(seen.filter((m) => m.startsWith('g'))).toEqual(['g5', 'g4', 'g3', 'g2', 'g1']);
  });

  it('Idempotency-Key: same body -> first answer, other body -> 422', async () => {
    const send = (msg: string) =>
      call(s, 'POST', '/api/v2/send', {
        ...as('admin'),
        body: { uid: 'bob', msg },
        headers: { 'idempotency-key': 'k-1' },
      });
    const a = await send('once');
    const b = await send('once');
    expect(b.headers.get('x-message-id')).toBe(a.headers.get('x-message-id'));
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect((await send('different')).status).toBe(422);
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('bob'))).filter((m) => m === 'once')).toHaveLength(1);
  });

  it('Idempotency-Key: a request that differs only in its query string is another request (422), never the first answer replayed', async () => {
    await call(s, 'POST', '/api/v2/threads', { ...as('gina'), body: { tid: 'roles' } });
    for (const role of ['publisher', 'admin'])
      expect(
        (await call(s, 'POST', '/api/v2/threads/roles/members', { ...as('gina'), body: { uid: 'dave', role } })).status,
      ).toBe(200);
    const remove = (role: string) =>
      call(s, 'DELETE', `/api/v2/threads/roles/members/dave?role=${role}`, {
        ...as('gina'),
        headers: { 'idempotency-key': 'revoke-dave' },
      });
    expect((await remove('publisher')).status).toBe(200);
    // The same key on ?role=admin was answered 200 `Idempotent-Replayed` and not run: dave kept the admin role.
    const second = await remove('admin');
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(422);
    expect(second.body).toMatchObject({ code: 'IdempotencyKeyReused' });
    // The same request again is still the first answer.
    const again = await remove('publisher');
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    const thread = await call(s, 'GET', '/api/v2/threads/roles', as('gina'));
    expect(thread.body).toMatchObject({ admins: ['dave'], publishers: [] });
  });

  it('scheduled messages appear when due; cancel works before, not after', async () => {
    const due = Date.now() + 1500;
    const r = await call(s, 'POST', '/api/v2/send', {
      ...as('admin'),
      body: { uid: 'carol', msg: 'later', scheduled: due },
    });
    const c = await call(s, 'POST', '/api/v2/send', {
      ...as('admin'),
      body: { uid: 'carol', msg: 'cancelled', scheduled: new Date(due).toISOString() },
    });
    expect(
      (await call(s, 'POST', '/api/v2/cancel', { ...as('admin'), body: { mid: c.headers.get('x-message-id') } }))
        .status,
    ).toBe(200);
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('carol')))).not.toContain('later');
    // Wait for the message itself to appear, and check it did not appear before it was due.
    let inbox: string[] = [];
    for (const end = Date.now() + 15_000; !inbox.includes('later') && Date.now() < end; ) {
      inbox = msgs(await call(s, 'GET', '/api/v2/inbox', as('carol')));
      if (inbox.includes('later')) expect(Date.now()).toBeGreaterThanOrEqual(due);
      else await new Promise((res) => setTimeout(res, 50));
    }
    expect(inbox).toContain('later');
    expect(inbox).not.toContain('cancelled');
    expect(
      (await call(s, 'POST', '/api/v2/cancel', { ...as('admin'), body: { mid: r.headers.get('x-message-id') } }))
        .status,
    ).toBe(409);
  });

  it('retract removes a message for everyone; a recipient deletes only from their own inbox', async () => {
    const m = await call(s, 'POST', '/api/v2/multicast', { ...as('admin'), body: { uids: ['x1', 'x2'], msg: 'oops' } });
    const mid = m.headers.get('x-message-id') ?? '';
    expect((await call(s, 'GET', `/api/v2/messages/${mid}`, as('x1'))).status).toBe(200);
    expect((await call(s, 'GET', `/api/v2/messages/${mid}`, as('carol'))).status).toBe(404);
    // Neither sender nor recipient: told the message does not exist, as for an unknown mid (issue 9, finding 6).
    expect((await call(s, 'DELETE', `/api/v2/messages/${mid}`, as('carol'))).status).toBe(404);
    expect((await call(s, 'DELETE', `/api/v2/messages/${mid}`, as('x1'))).body).toEqual({
      effect: 'deleted_from_inbox',
    });
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('x1')))).not.toContain('oops');
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('x2')))).toContain('oops');
    expect((await call(s, 'DELETE', `/api/v2/messages/${mid}`, as('admin'))).body).toEqual({ effect: 'retracted' });
    expect(msgs(await call(s, 'GET', '/api/v2/inbox', as('x2')))).not.toContain('oops');
  });

  it('receipts: seen and read markers show in the inbox; unseen filters', async () => {
    const a = await call(s, 'POST', '/api/v2/send', { ...as('admin'), body: { uid: 'eve', msg: 'r1' } });
    await call(s, 'POST', '/api/v2/send', { ...as('admin'), body: { uid: 'eve', msg: 'r2' } });
    const mid = a.headers.get('x-message-id') ?? '';
    expect((await call(s, 'POST', '/api/v2/ack', { ...as('eve'), body: { mids: [mid], status: 'seen' } })).status).toBe(
      200,
    );
    const unseen = msgs(await call(s, 'GET', '/api/v2/inbox?unseen=true', as('eve')));
    expect(unseen).toContain('r2');
    expect(unseen).not.toContain('r1');
    await call(s, 'POST', '/api/v2/read', { ...as('eve'), body: { mid } });
    const items = (await call(s, 'GET', '/api/v2/inbox', as('eve'))).body as { messages: Msg[] };
    expect(items.messages.find((m) => m.msg === 'r1')).toMatchObject({ seen: true, read: true });
    expect(items.messages.find((m) => m.msg === 'r2')).toMatchObject({ seen: false, read: false });
  });

  it('auditors read the log with metadata; operations endpoints answer', async () => {
    const r = await call(s, 'GET', '/api/v2/events?limit=5', as('auditor'));
    expect(r.status).toBe(200);
    const first = (
      r.body as { events: { metadata: { actor: { uid: string }; correlationId: string; occurredAt: string } }[] }
    ).events[0];
    expect(first?.metadata.actor.uid).toBeTruthy();
    expect(first?.metadata.correlationId).toBeTruthy();
    expect((await call(s, 'GET', '/readyz')).status).toBe(200);
    expect((await call(s, 'GET', '/metrics')).text).toMatch(/msgxc_http_requests_total\{route="\/api\/v2\/send"/);
    expect((await call(s, 'GET', '/api/v2/openapi.json')).body).toMatchObject({ openapi: '3.1.0' });
    expect(s.output()).not.toMatch(/Bearer|eyJ/);
  });
});
