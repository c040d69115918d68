import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';

// GET /api/v2/analytics/messages on the embedded defaults: the search projection runs in the
// SQLite log's worker thread, and this node answers from the live search generation's file.
interface Page {
  messages: { mid: string; from: string; text: string; urgency: number; tid: string | null }[];
  total: number;
  next: string | null;
}

describe('analytics: search over messages', () => {
  const dataDir = tempDir();
  let s: Server;
  let analyst: string;
  const mids: Record<string, string> = {};
  beforeAll(async () => {
    s = await startServer({ dataDir, env: { MSGXC_LOG_LEVEL: 'warn' } });
    analyst = await token('ana', ['analyst']);
    const publish = async (uid: string, tid: string, msg: string, urgency: number): Promise<string> => {
      const r = await call(s, 'POST', '/api/v2/publish', {
        token: await token(uid),
        body: { tid, msg, opts: { urgency } },
      });
      expect(r.status, r.text).toBe(200);
      return r.headers.get('x-message-id') ?? '';
    };
    mids['a1'] = await publish('ann', 'garden', 'the roses bloom early', 2);
    mids['a2'] = await publish('ann', 'garden', 'weeding on saturday', 4);
    mids['b1'] = await publish('ben', 'kitchen', 'roses on the table', 3);
    mids['b2'] = await publish('ben', 'kitchen', 'dinner at eight', 1);
    // The search projection follows the log: wait until it has indexed all four.
    await waitFor(
      'the search projection to index the messages',
      async () => {
        const r = await call(s, 'GET', '/api/v2/analytics/messages', { token: analyst });
        return r.status === 200 && (r.body as Page).total === 4 ? true : undefined;
      },
      20_000,
      100,
    );
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const search = async (qs: string, as = analyst): Promise<Page> => {
    const r = await call(s, 'GET', `/api/v2/analytics/messages${qs}`, { token: as });
    expect(r.status, r.text).toBe(200);
    return r.body as Page;
  };
  const found = async (qs: string): Promise<string[]> => (await search(qs)).messages.map((m) => m.mid);

  it('filters by text, thread, sender, urgency, status and time, newest first, with totals', async () => {
    expect(await found('?text=roses')).toEqual([mids['b1'], mids['a1']]);
    expect(await found('?text=ROSES+table')).toEqual([mids['b1']]);
    expect(await found('?tid=garden')).toEqual([mids['a2'], mids['a1']]);
    expect(await found('?sender=ben')).toEqual([mids['b2'], mids['b1']]);
    expect(await found('?urgencyMin=3')).toEqual([mids['b1'], mids['a2']]);
    expect(await found('?urgencyMin=2&urgencyMax=3&sender=ann')).toEqual([mids['a1']]);
    expect(await found('?status=cancelled,retracted')).toEqual([]);
    expect(await found('?until=2000-01-01T00:00:00Z')).toEqual([]);
    expect(await found(`?since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).toHaveLength(4);
    const first = await search('?limit=3');
    expect(first.total).toBe(4);
    expect(first.messages).toHaveLength(3);
    expect(first.next).not.toBeNull();
    const second = await search(`?limit=3&after=${first.next ?? ''}`);
    expect(second.total).toBe(4);
    expect(second.next).toBeNull();
    expect([...first.messages, ...second.messages].map((m) => m.mid).sort()).toEqual(Object.values(mids).sort());
    expect((await search('?sender=ann&limit=1')).total).toBe(2);
  });

  it('finds the messages a recipient reached an outcome for, once the receipt is indexed', async () => {
    // ann acknowledges her own message to garden as read: the sender is not one of its recipients
    // (triage leaves her out), so her receipt counts for no outcome. gil reads the direct message
    // an admin sent him: that one is found.
    const ann = await token('ann');
    const own = { mids: [mids['a1']], status: 'read' };
    expect((await call(s, 'POST', '/api/v2/ack', { token: ann, body: own })).status).toBe(200);
    const sent = await call(s, 'POST', '/api/v2/send', {
      token: await token('root', ['admin']),
      body: { uid: 'gil', msg: 'your parcel arrived' },
    });
    expect(sent.status, sent.text).toBe(200);
    const dm = sent.headers.get('x-message-id') ?? '';
    // The receipt counts once the triage addressed gil; before it, it waits (docs/analytics.md).
    const gil = await token('gil');
    expect((await call(s, 'POST', '/api/v2/ack', { token: gil, body: { mids: [dm], status: 'read' } })).status).toBe(
      200,
    );
    const read = await waitFor(
      'the read receipt to be indexed',
      async () => {
        const p = await search('?outcome=read');
        return p.total > 0 ? p : undefined;
      },
      20_000,
      100,
    );
    expect(read.messages.map((m) => m.mid)).toEqual([dm]);
    expect(await found('?outcome=clicked,given_up')).toEqual([]);
    expect(await found('?outcome=read&sender=ben')).toEqual([]);
    expect(await found('?outcome=read&sender=ann')).toEqual([]);
  });

  it('is for analysts and admins only; bad filters are a 400 naming the parameter', async () => {
    expect((await search('?sender=ann', await token('root', ['admin']))).total).toBe(2);
    const r = (as?: string, qs = '') =>
      call(s, 'GET', `/api/v2/analytics/messages${qs}`, as === undefined ? {} : { token: as });
    expect((await r(await token('ann'))).status).toBe(403);
    expect((await r(await token('audrey', ['auditor']))).status).toBe(403);
    expect((await r()).status).toBe(401);
    for (const [qs, field] of [
      ['?urgencyMin=9', 'urgencyMin'],
      ['?since=yesterday', 'since'],
      ['?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
      ['?status=lost', 'status'],
      ['?outcome=sent', 'outcome'],
      ['?after=forged', 'after'],
      ['?limit=500', 'limit'],
      ['?sendr=ann', 'sendr'],
      ['?tid=a&tid=b', 'tid'],
    ] as const) {
      const bad = await r(analyst, qs);
      expect(bad.status, qs).toBe(400);
      expect((bad.body as { msg: string }).msg.startsWith(`${field}:`), JSON.stringify(bad.body)).toBe(true);
    }
  });
});
