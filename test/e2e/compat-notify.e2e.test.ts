import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { openLive } from './realtime-socket.js';
import { allEvents, waitFor } from './standin-env.js';

// webservice-notification's POST /notify (seed 003) as its servers sent it: a form post whose
// `users` field is a JSON document in a string, flags as strings. Delays compressed as in
// delivery-outbox.e2e.test.ts; without provider credentials the email lands in the outbox.
const ENV = {
  MSGXC_TRIAGE_TIME_SCALE: '0.002',
  MSGXC_SCHEDULER_POLL_MS: '50',
  MSGXC_LOG_LEVEL: 'warn',
  MSGXC_CORS_ORIGINS: 'https://app.example.com',
};
const form = (fields: Record<string, string>): { raw: string; headers: Record<string, string> } => ({
  raw: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});
interface Plan {
  uid: string;
  online: boolean;
  steps: { channel: string }[];
}

describe('webservice-notification POST /notify', () => {
  const dataDir = tempDir();
  let s: Server;
  let root: string;
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    root = await token('server', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const plans = (mid: string): Promise<Plan[]> =>
    waitFor('the triage of the notification', async () => {
      const t = (await allEvents(s, root, ['MessageTriaged'])).find((e) => e.data['mid'] === mid);
      return t === undefined ? undefined : (t.data['recipients'] as Plan[]);
    });
  const emails = async (mid: string): Promise<string[]> =>
    (
      (await call(s, 'GET', `/api/v2/outbox?mid=${mid}&channel=email`, { token: root })).body as {
        entries: { to: string }[];
      }
    ).entries.map((e) => e.to);

  it('a form post: one notification per user, live to the online user, email to the offline one (email_send)', async () => {
    // Live, not merely connected: a notification that lands while the session is still reading its
    // unseen snapshot arrives in that snapshot instead of as a live frame (the CI run that failed).
    const online = await openLive(s, await token('1'));
    const r = await call(s, 'POST', '/notify', {
      token: root,
      ...form({
        type: 'comment',
        title: 'New comment',
        content: 'Bob commented on your post',
        url: 'https://example.com/post/1',
        icon: 'comment',
        image: 'https://gravatar.example/bob.png',
        users: JSON.stringify([
          { id: 1, email: 'myemail@test.com' },
          { id: 2, email: 'second@test.com' },
        ]),
        email_send: 'true',
      }),
    });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const live = await online.next((f) => f.type === 'message' && f['mid'] === mid);
    expect(live).toMatchObject({
      msg: 'Bob commented on your post',
      opts: {
        type: 'comment',
        title: 'New comment',
        url: 'https://example.com/post/1',
        icon: 'comment',
        image: 'https://gravatar.example/bob.png',
      },
    });
    const p = await plans(mid);
    expect(p.map((x) => [x.uid, x.online, x.steps.map((st) => st.channel)])).toEqual([
      ['1', true, ['websocket', 'email']],
      ['2', false, ['email']],
    ]);
    // The offline user's email goes out at once; the online one's would wait for the nearline delay, so read it.
    expect(
      (await call(s, 'POST', '/api/v2/ack', { token: await token('1'), body: { mids: [mid], status: 'read' } })).status,
    ).toBe(200);
    expect(
      await waitFor('the email to user 2', async () => ((await emails(mid)).length > 0 ? emails(mid) : undefined)),
    ).toEqual([expect.stringMatching(/^s.*@test\.com$/)]);
    // Stored once per user: both inboxes hold it.
    for (const uid of ['1', '2']) {
      const inbox = (await call(s, 'GET', '/api/v2/inbox', { token: await token(uid) })).body as {
        messages: { mid: string }[];
      };
      expect(inbox.messages.map((m) => m.mid)).toContain(mid);
    }
    await online.close();
  });

  it('without email_send nobody without an address on file is emailed; email_force sends email at once to all', async () => {
    const quiet = await call(s, 'POST', '/notify', {
      token: root,
      ...form({ content: 'no email please', users: JSON.stringify([{ id: 3, email: 'third@test.com' }]) }),
    });
    expect(quiet.status).toBe(200);
    const q = await plans(quiet.headers.get('x-message-id') ?? '');
    expect(q).toEqual([{ uid: '3', online: false, steps: [] }]);
    const profile = (await call(s, 'GET', '/api/v2/users/3/profile', { token: root })).body as { email: string | null };
    expect(profile.email).toBeNull();

    const forced = await call(s, 'POST', '/notify', {
      token: root,
      body: {
        content: 'urgent',
        users: [{ id: 1, email: 'myemail@test.com' }],
        email_send: true,
        email_force: true,
        email_subject: 'Urgent',
        email_content: '<b>urgent</b>',
        email_type: 'text/html',
      },
    });
    expect(forced.status, forced.text).toBe(200);
    const mid = forced.headers.get('x-message-id') ?? '';
    const published = (await allEvents(s, root, ['MessagePublished'])).find((e) => e.data['mid'] === mid);
    expect(published?.data).toMatchObject({
      urgency: 4,
      subject: 'Urgent',
      opts: { email: { subject: 'Urgent', content: '<b>urgent</b>', type: 'text/html' } },
    });
    expect(
      await waitFor('the forced email', async () => ((await emails(mid)).length > 0 ? emails(mid) : undefined)),
    ).toHaveLength(1);
    // The email is the request's: its subject, its HTML as given, a text part without the tags.
    const entry = (
      (await call(s, 'GET', `/api/v2/outbox?mid=${mid}&channel=email`, { token: root })).body as {
        entries: { payload: unknown }[];
      }
    ).entries[0];
    expect(entry?.payload).toMatchObject({
      subject: 'Urgent',
      html: '<b>urgent</b>',
      text: 'urgent',
    });
  });

  it('server side only: an admin token, no CORS grant, no preflight', async () => {
    const body = { content: 'x', users: [{ id: 1 }] };
    expect((await call(s, 'POST', '/notify', { body })).status).toBe(401);
    expect((await call(s, 'POST', '/notify', { token: await token('1'), body })).status).toBe(403);
    const pre = await call(s, 'OPTIONS', '/notify', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect([pre.status, pre.headers.get('access-control-allow-origin')]).toEqual([405, null]);
    const fromPage = await call(s, 'POST', '/notify', {
      token: root,
      body,
      headers: { origin: 'https://app.example.com' },
    });
    expect([fromPage.status, fromPage.headers.get('access-control-allow-origin')]).toEqual([200, null]);
    // An allowed route on the same origin is granted: the refusal above is /notify's own.
    const ping = await call(s, 'GET', '/api/v2/ping', { headers: { origin: 'https://app.example.com' } });
    expect(ping.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('a multipart form post (curl -F, PHP curl with an array), as Tornado read it; a file part is no field', async () => {
    const part = (name: string, value: string, extra = ''): string =>
      `--xYz\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`;
    const raw =
      part('content', 'Bob a commenté') +
      part('title', 'New comment') +
      part('users', '[{"id": 31, "email": null}]') +
      part('title', 'not read: a file', '; filename="t.txt"\r\nContent-Type: text/plain') +
      '--xYz--\r\n';
    const r = await call(s, 'POST', '/notify', {
      token: root,
      raw,
      headers: { 'content-type': 'multipart/form-data; boundary=xYz' },
    });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const m = await call(s, 'GET', `/api/v2/messages/${mid}`, { token: root });
    expect(m.body).toMatchObject({ msg: 'Bob a commenté', opts: { title: 'New comment' } });
    const cut = await call(s, 'POST', '/notify', {
      token: root,
      raw: part('content', 'x'),
      headers: { 'content-type': 'multipart/form-data; boundary=xYz' },
    });
    expect([cut.status, (cut.body as { code: string }).code]).toEqual([400, 'InvalidBody']);
    const other = await call(s, 'POST', '/notify', { token: root, raw: 'x', headers: { 'content-type': 'text/csv' } });
    expect([other.status, (other.body as { msg: string }).msg]).toEqual([
      415,
      expect.stringContaining('multipart/form-data'),
    ]);
  });

  it('bad input is a 400 naming the field', async () => {
    for (const [fields, named] of [
      [{ users: '[{"id":1}]' }, 'content'],
      [{ content: 'x' }, 'users'],
      [{ content: 'x', users: 'not json' }, 'users'],
      [{ content: 'x', users: '[]' }, 'users'],
      [{ content: 'x', users: '[{"id":1,"email":"nope"}]' }, 'email'],
      [{ content: 'x', users: '[{"id":1}]', email_send: 'maybe' }, 'email_send'],
      [{ content: 'x', users: '[{"id":1}]', email_type: 'application/pdf' }, 'email_type'],
    ] as const) {
      const r = await call(s, 'POST', '/notify', { token: root, ...form(fields) });
      expect([r.status, (r.body as { msg: string }).msg], JSON.stringify(fields)).toEqual([
        400,
        expect.stringContaining(named),
      ]);
    }
  });
});
