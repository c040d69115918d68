import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { waitFor } from './standin-env.js';

// GDPR erasure of delivery's files (docs/gdpr.md), on whichever stack MSGXC_E2E_STACK names:
// the outbox (outbox.db: what the providers would have been sent) and delivery's private state
// (reactors.db: directory, units) are SQLite files in the node's data directory on both stacks.
// After a user is erased, their outbox entries are gone from GET /api/v2/outbox, and no byte of
// their message text, email address or push endpoint is left in those files (read raw, with
// their write-ahead logs), while another recipient's entries stay.
const ENV = { MSGXC_TRIAGE_TIME_SCALE: '0.001', MSGXC_SCHEDULER_POLL_MS: '50', MSGXC_LOG_LEVEL: 'warn' };
const P256DH = 'BN81HfHxzt4V4lXDV_2ia8Rl_QvqofvoNI7_MOHCiOMEYuFXFNDBOJzKCCj2nzK5luwnH6rvBCN2jx7lNHpraaw';

interface Entry {
  channel: string;
  mid: string;
  to: string;
}

describe('erasure of the outbox and delivery state', () => {
  const dataDir = tempDir();
  let s: Server;
  let admin: string;
  const run = Date.now().toString(36);
  const gone = `gone-${run}`;
  const stays = `stays-${run}`;
  const secrets = {
    text: `private word quuxzorb${run}`,
    email: `erase.me.${run}@example.org`,
    endpoint: `https://fcm.googleapis.com/fcm/send/erase-endpoint-${run}`,
  };
  beforeAll(async () => {
    s = await startServer({ dataDir, env: ENV });
    admin = await token('root', ['admin']);
    for (const uid of [gone, stays]) {
      const t = await token(uid);
      const email = uid === gone ? secrets.email : `${uid}@example.org`;
      const endpoint = uid === gone ? secrets.endpoint : `https://fcm.googleapis.com/fcm/send/${uid}`;
      expect((await call(s, 'POST', '/api/v2/profile', { token: t, body: { email } })).status).toBe(200);
      const r = await call(s, 'POST', '/api/v2/enlist', {
        token: t,
        body: { endpoint, keys: { p256dh: P256DH, auth: `auth-${uid}` } },
      });
      expect(r.status, r.text).toBe(200);
    }
  });
  afterAll(async () => {
    await s.stop();
    removeDir(dataDir);
  });

  const entries = async (mid: string): Promise<Entry[]> => {
    const r = await call(s, 'GET', `/api/v2/outbox?mid=${mid}&limit=200`, { token: admin });
    expect(r.status, r.text).toBe(200);
    return (r.body as { entries: Entry[] }).entries;
  };
  /** Names of the files of delivery's state and outbox (with WAL and shared memory) holding `needle`. */
  const holding = (needle: string): string[] =>
    readdirSync(dataDir)
      .filter((f) => /^(outbox|reactors)\.db/.test(f))
      .filter((f) => readFileSync(join(dataDir, f)).includes(Buffer.from(needle)));

  it('leaves none of an erased user’s text or contact points in outbox.db and reactors.db', async () => {
    const direct = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: gone, msg: secrets.text } });
    expect(direct.status, direct.text).toBe(200);
    const mid = direct.headers.get('x-message-id') ?? '';
    const multi = await call(s, 'POST', '/api/v2/multicast', {
      token: admin,
      body: { uids: [gone, stays], msg: 'for both of you' },
    });
    const shared = multi.headers.get('x-message-id') ?? '';
    // Email and web push to each: the outbox has recorded them.
    await waitFor('the outbox entries of both messages', async () =>
      (await entries(mid)).length >= 2 && (await entries(shared)).length >= 4 ? true : undefined,
    );
    expect(holding(secrets.text).length + holding(secrets.email).length).toBeGreaterThan(0);

    const erased = await call(s, 'POST', `/api/v2/users/${gone}/erase`, { token: admin });
    expect(erased.status, erased.text).toBe(200);
    await waitFor('the erased user’s outbox entries gone', async () =>
      (await entries(mid)).length === 0 ? true : undefined,
    );
    // The other recipient keeps theirs; of the shared message, only the erased user's went.
    const left = await entries(shared);
    expect(left.length).toBeGreaterThanOrEqual(2);
    expect(left.every((e) => !e.to.includes('erase'))).toBe(true);
    expect(Object.fromEntries(Object.entries(secrets).map(([what, needle]) => [what, holding(needle)]))).toEqual({
      text: [],
      email: [],
      endpoint: [],
    });
  });
});
