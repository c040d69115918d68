import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import webpush from 'web-push';
import { testPki } from '../standins/tls.js';
import { startWebPushStandin, webPushErrors } from '../standins/webpush.js';
import { call, startServer, token, type Server } from './harness.js';
import { allEvents, waitFor } from './standin-env.js';
import type { Explanation } from '../../schema/explain.js';

// A broker with data for the admin pages (their e2e test and `npm run screenshots`): web push
// goes to the web push stand-in (one device that takes it, one that is gone, one whose first
// push meets a 500), email to the outbox channel; a thread with several messages, one of them
// hostile HTML. Returns once every fact the pages show is in the log and the search store.
export const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> hostile <b>bold</b>';
const ENV = {
  MSGXC_TRIAGE_TIME_SCALE: '0.002',
  MSGXC_SCHEDULER_POLL_MS: '50',
  MSGXC_LOG_LEVEL: 'warn',
  // Check-ins often enough that the analytics page's online time has something to show.
  MSGXC_CHECKIN_INTERVAL_MS: '500',
};

export interface Seeded {
  readonly broker: Server;
  readonly admin: string;
  /** Every message published, by a name. */
  readonly mids: { frank: string; gina: string; hal: string; hostile: string; lobby: string[] };
  readonly published: number;
  close(): Promise<void>;
}

const ok = (r: { status: number; text: string }, what: string): void => {
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: ${r.status} ${r.text}`);
};

const webPushEnv = async (dir: string): Promise<Record<string, string>> => {
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, (await testPki()).ca);
  const vapid = webpush.generateVAPIDKeys();
  return {
    MSGXC_CHANNEL_CA_FILE: caFile,
    // The stand-in answers from the test process, which may be busy (Chromium starting) for
    // seconds on a loaded machine: a socket timeout there would hide the 500 the data plants
    // (the fresh-machine rehearsal saw hal's first push time out at 5 s).
    MSGXC_CHANNEL_TIMEOUT_MS: '30000',
    MSGXC_VAPID_PUBLIC_KEY: vapid.publicKey,
    MSGXC_VAPID_PRIVATE_KEY: vapid.privateKey,
    MSGXC_VAPID_SUBJECT: 'mailto:ops@example.com',
    MSGXC_WEBPUSH_ALLOWED_HOSTS: '127.0.0.1',
  };
};

export const seedBroker = async (): Promise<Seeded> => {
  const wp = await startWebPushStandin(await testPki());
  const dir = await mkdtemp(join(tmpdir(), 'msgxc-admin-pages-'));
  const broker = await startServer({ env: { ...ENV, ...(await webPushEnv(dir)) } });
  const admin = await token('root', ['admin']);
  const device = async (uid: string): Promise<void> => {
    const t = await token(uid);
    ok(await call(broker, 'POST', '/api/v2/enlist', { token: t, body: wp.subscribe(uid) }), `enlist ${uid}`);
    ok(await call(broker, 'POST', '/api/v2/profile', { token: t, body: { email: `${uid}@example.com` } }), 'profile');
  };
  const send = async (uid: string, msg: string): Promise<string> => {
    const r = await call(broker, 'POST', '/api/v2/send', { token: admin, body: { uid, msg } });
    ok(r, `send to ${uid}`);
    return r.headers.get('x-message-id') ?? '';
  };
  wp.recorder.on('gina', webPushErrors.gone());
  wp.recorder.on('hal', webPushErrors.serverError(), 1);
  for (const uid of ['frank', 'gina', 'hal']) await device(uid);
  const frank = await send('frank', 'hello frank');
  const gina = await send('gina', 'hello gina');
  const hal = await send('hal', 'hello hal');
  const bob = await token('bob');
  const lobby: string[] = [];
  for (const msg of ['welcome to the lobby', 'standup at ten', HOSTILE, 'lunch?', 'release is out']) {
    const r = await call(broker, 'POST', '/api/v2/publish', { token: bob, body: { tid: 'lobby', msg } });
    ok(r, 'publish');
    lobby.push(r.headers.get('x-message-id') ?? '');
  }
  const hostile = lobby[2] ?? '';
  const published = 3 + lobby.length;

  const explain = async (mid: string): Promise<Explanation> =>
    (await call(broker, 'GET', `/api/v2/messages/${mid}/deliveries`, { token: admin })).body as Explanation;
  const state = async (mid: string, channel: string): Promise<string | undefined> =>
    (await explain(mid)).recipients[0]?.steps.find((s) => s.channel === channel)?.state;
  await waitFor(
    'the push to frank, sent',
    async () => ((await state(frank, 'webpush')) === 'sent' ? true : undefined),
    30_000,
  );
  await waitFor(
    'the email to frank, decided',
    async () => {
      const s = await state(frank, 'email');
      return s !== undefined && s !== 'pending' && s !== 'attempting' ? true : undefined;
    },
    30_000,
  );
  await waitFor(
    'the failures of gina and hal in the log',
    async () => {
      const failed = await allEvents(broker, admin, ['DeliveryFailed']);
      return [gina, hal].every((m) => failed.some((e) => e.data['mid'] === m)) ? true : undefined;
    },
    30_000,
  );
  // Receipts: what the search store counts per message (frank read his, hal's push arrived).
  ok(
    await call(broker, 'POST', '/api/v2/ack', { token: await token('frank'), body: { mids: [frank], status: 'read' } }),
    'ack',
  );
  ok(
    await call(broker, 'POST', '/api/v2/ack', {
      token: await token('hal'),
      body: { mids: [hal], status: 'delivered' },
    }),
    'ack',
  );
  // The search projection follows the log asynchronously: every message, with frank's receipt count.
  await waitFor(
    'the search store to hold every message',
    async () => {
      const r = await call(broker, 'GET', '/api/v2/analytics/messages?limit=1', { token: admin });
      return (r.body as { total: number }).total === published ? true : undefined;
    },
    30_000,
  );
  return {
    broker,
    admin,
    mids: { frank, gina, hal, hostile, lobby },
    published,
    close: async () => {
      await broker.stop();
      await wp.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
