import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apnsErrors } from '../standins/apns.js';
import { fcmErrors } from '../standins/fcm.js';
import type { PushSubscriptionJson } from '../standins/webpush.js';
import { call, nodeId, removeDir, startServer, token, type Server } from './harness.js';
import { openLive, type TestSocket } from './realtime-socket.js';
import { allEvents, pushPayloads, startStandins, subscriptionId, waitFor, type Standins } from './standin-env.js';

// Issue 5 end to end: the built broker process, configured from the environment with every
// provider's credentials, sends through the real SDKs to the local stand-ins (which check
// the request as the provider would). A device a provider reports gone is revoked, and the
// next message does not try it while the user's other devices still get it.
// Issue 6 end to end, on the same process with the urgency table's delays scaled by SCALE:
// an offline user gets the push at once and an email after the nearline delay unless the
// push was clicked; an online user who reads over the websocket gets neither.
const SCALE = 0.004;
const NEARLINE_U3_MS = 15 * 60_000 * SCALE; // urgency 3: push at once when offline, email after 3.6 s
// Urgency 2 with a live session: push only if unseen after 1.2 s, email if unread after 14.4 s.
const NEARLINE_U2_MS = 60 * 60_000 * SCALE;

// The seeds' enlist bodies, verbatim.
const IOS = { os: 'ios', token: 'ad62ea6ea23d6974871cf59a06cbdb2783b85adbafe3355c0007362249d3e75c' } as const;
const ANDROID = {
  os: 'android',
  token:
    'e_nslPZejyM:APA91bHR-znf4EuSIKeY9dzlX4cupXA5cdsW1SzOHUFRrsteaL5WDuzsh_cnpVpQC3IPcewl_v3N0kbArC67UTEW_ENt5Ej5Sn0qi1RoRHv5beLNi9y4OzZ__T3SH3tW5gwqxn2Hap01',
} as const;

let standins: Standins;
let server: Server;
let admin: string;
let user: string;
let subscription: PushSubscriptionJson;
let sub: string;
const UID = 'carol';

const send = async (
  msg: string,
  uid = UID,
  opts: Record<string, unknown> = { urgency: 4, data: { key: 'whatever' } },
): Promise<string> => {
  const r = await call(server, 'POST', '/api/v2/send', { token: admin, body: { uid, msg, opts } });
  expect(r.status, r.text).toBe(200);
  return r.headers.get('x-message-id') ?? '';
};
const devices = async (): Promise<{ deviceId: string; channel: string }[]> => {
  const r = await call(server, 'GET', `/api/v2/users/${UID}/devices`, { token: user });
  expect(r.status, r.text).toBe(200);
  return (r.body as { devices: { deviceId: string; channel: string }[] }).devices;
};
const apnsRequests = (mid: string) =>
  standins.apns.recorder
    .forKey(IOS.token)
    .filter((r) => (r.details['payload'] as { mid?: string } | undefined)?.mid === mid);
const fcmRequests = (mid: string) =>
  standins.fcm.recorder
    .forKey(ANDROID.token)
    .filter((r) => (r.details['request'] as { message?: { data?: { mid?: string } } }).message?.data?.mid === mid);
const pushesOf = (mid: string) => pushPayloads(standins.webpush, sub).filter((p) => p.mid === mid);
/** The channels triage planned for `mid` (its MessageTriaged events), sorted. */
const plan = (mid: string) =>
  waitFor(`the plan of ${mid}`, async () => {
    const r = await call(server, 'GET', `/api/v2/streams/triage-${mid}`, { token: admin });
    const batches =
      (
        r.body as {
          events?: {
            type: string;
            data: { recipients: { online: boolean; steps: { channel: string; reason: string }[] }[] };
          }[];
        }
      ).events ?? [];
    const triaged = batches.filter((e) => e.type === 'MessageTriaged');
    return triaged.length === 0 ? undefined : triaged.flatMap((e) => e.data.recipients);
  });
const planned = async (mid: string): Promise<string[]> =>
  (await plan(mid)).flatMap((p) => p.steps.map((s) => s.channel)).sort();
/** Waits until every planned step of `mid` has its outcome in the log; returns [type, channel] pairs, sorted. */
const outcomes = async (
  mid: string,
  timeoutMs = 15_000,
): Promise<{ type: string; data: Record<string, unknown> }[]> => {
  const steps = (await planned(mid)).filter((c) => c !== 'websocket').length; // the realtime layer's step has no outcome event
  return waitFor(
    `${steps} delivery outcomes of ${mid}`,
    async () => {
      const events = (
        await allEvents(server, admin, ['DeliverySucceeded', 'DeliveryFailed', 'DeliverySkipped'])
      ).filter((e) => e.data['mid'] === mid);
      return events.length >= steps
        ? events.sort((a, b) => String(a.data['channel']).localeCompare(String(b.data['channel'])))
        : undefined;
    },
    timeoutMs,
    200,
  );
};
const summary = (events: { type: string; data: Record<string, unknown> }[]) =>
  events.map((e) => [e.type, e.data['channel']]);

beforeAll(async () => {
  standins = await startStandins();
  server = await startServer({
    env: {
      ...standins.env,
      MSGXC_LOG_LEVEL: 'warn',
      MSGXC_SCHEDULER_POLL_MS: '50',
      MSGXC_TRIAGE_TIME_SCALE: String(SCALE),
      MSGXC_NODE_ID: nodeId('e2e-standins'),
    },
  });
  admin = await token('root', ['admin']);
  user = await token(UID);
  subscription = standins.webpush.subscribe();
  sub = subscriptionId(subscription.endpoint);
  for (const body of [IOS, ANDROID, subscription]) {
    const r = await call(server, 'POST', '/api/v2/enlist', { token: user, body });
    expect(r.status, r.text).toBe(200);
  }
});
afterAll(async () => {
  await server.stop();
  await standins.close();
  removeDir(server.dataDir);
});

describe('a message to a user with an iOS, an Android and a web push device', () => {
  it('reaches the APNs, FCM and web push stand-ins, well-formed, and the web push payload decrypts to the exact text', async () => {
    expect((await devices()).map((d) => d.channel).sort()).toEqual(['apns', 'fcm', 'webpush']);
    const text = 'Grüße 👋 — "exact" text & <tags>, from the e2e test';
    const mid = await send(text);

    const [apns] = await waitFor('the APNs request', () =>
      apnsRequests(mid).length > 0 ? apnsRequests(mid) : undefined,
    );
    expect(apns?.problems).toEqual([]);
    expect(apns?.path).toBe(`/3/device/${IOS.token}`);
    expect(apns?.headers).toMatchObject({
      'apns-topic': standins.apns.key.bundleId,
      'apns-priority': '10',
      'apns-push-type': 'alert',
    });
    expect(apns?.details['payload']).toMatchObject({ aps: { alert: { body: text } }, mid });

    const [fcm] = await waitFor('the FCM request', () => (fcmRequests(mid).length > 0 ? fcmRequests(mid) : undefined));
    expect(fcm?.problems).toEqual([]);
    expect(fcm?.headers.host).toBe('fcm.googleapis.com');
    expect(fcm?.details['request']).toMatchObject({
      message: { token: ANDROID.token, notification: { body: text }, android: { priority: 'high' } },
    });
    expect(standins.fcm.tokenRequests.every((t) => t.problems.length === 0)).toBe(true);

    const [push] = await waitFor('the web push request', () =>
      pushesOf(mid).length > 0 ? standins.webpush.recorder.forKey(sub) : undefined,
    );
    expect(push?.problems).toEqual([]);
    expect(push?.details).toMatchObject({ urgency: 'high', vapidKey: standins.env['MSGXC_VAPID_PUBLIC_KEY'] });
    expect(pushesOf(mid)).toEqual([
      { msg: text, mid, opts: { urgency: 4, data: { key: 'whatever' } }, slug: '/inbox' },
    ]);

    expect(await planned(mid)).toEqual(['apns', 'fcm', 'webpush']);
    expect(summary(await outcomes(mid))).toEqual([
      ['DeliverySucceeded', 'apns'],
      ['DeliverySucceeded', 'fcm'],
      ['DeliverySucceeded', 'webpush'],
    ]);
  });

  it('revokes a device APNs answers 410 Unregistered, and the next message does not try it while the others still get it', async () => {
    const [ios] = (await devices()).filter((d) => d.channel === 'apns');
    standins.apns.recorder.on(IOS.token, apnsErrors.unregistered());
    const gone = await send('the iPhone is gone');
    await waitFor('the APNs 410', () => (apnsRequests(gone).length > 0 ? true : undefined));
    await waitFor('the iPhone to leave the device list', async () =>
      (await devices()).some((d) => d.channel === 'apns') ? undefined : true,
    );
    const revoked = (await allEvents(server, admin, ['DeviceRevoked'])).filter((e) => e.data['uid'] === UID);
    expect(revoked).toEqual([
      expect.objectContaining({
        stream: `user-${UID}`,
        data: expect.objectContaining({
          deviceId: ios?.deviceId,
          reason: expect.stringMatching(/Unregistered/) as unknown,
        }) as unknown,
      }),
    ]);
    expect((await outcomes(gone)).find((e) => e.data['channel'] === 'apns')).toMatchObject({
      type: 'DeliveryFailed',
      data: { outcome: 'gone' },
    });

    const apnsBefore = standins.apns.recorder.forKey(IOS.token).length;
    const next = await send('after the iPhone');
    expect(await planned(next)).toEqual(['fcm', 'webpush']);
    expect(summary(await outcomes(next))).toEqual([
      ['DeliverySucceeded', 'fcm'],
      ['DeliverySucceeded', 'webpush'],
    ]);
    expect(standins.apns.recorder.forKey(IOS.token)).toHaveLength(apnsBefore);
    expect(pushesOf(next).map((p) => p.msg)).toEqual(['after the iPhone']);
  });

  it('revokes a token FCM answers UNREGISTERED; then only the web push subscription is tried', async () => {
    standins.fcm.recorder.on(ANDROID.token, fcmErrors.unregistered());
    const gone = await send('the Android phone is gone');
    await waitFor('the Android phone to leave the device list', async () =>
      (await devices()).some((d) => d.channel === 'fcm') ? undefined : true,
    );
    expect((await outcomes(gone)).find((e) => e.data['channel'] === 'fcm')).toMatchObject({
      type: 'DeliveryFailed',
      data: { outcome: 'gone' },
    });
    expect((await allEvents(server, admin, ['DeviceRevoked'])).filter((e) => e.data['uid'] === UID)).toHaveLength(2);

    const fcmBefore = standins.fcm.recorder.forKey(ANDROID.token).length;
    const apnsBefore = standins.apns.recorder.forKey(IOS.token).length;
    const last = await send('only the browser now');
    expect(await planned(last)).toEqual(['webpush']);
    expect(summary(await outcomes(last))).toEqual([['DeliverySucceeded', 'webpush']]);
    expect(pushesOf(last).map((p) => p.msg)).toEqual(['only the browser now']);
    expect(standins.fcm.recorder.forKey(ANDROID.token)).toHaveLength(fcmBefore);
    expect(standins.apns.recorder.forKey(IOS.token)).toHaveLength(apnsBefore);
    expect((await devices()).map((d) => d.channel)).toEqual(['webpush']);
  });
});

describe('escalation from push to email (urgency table scaled by MSGXC_TRIAGE_TIME_SCALE)', () => {
  const sockets: TestSocket[] = [];
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
  });

  /** A user with a web push subscription from the stand-in and an email address. */
  const person = async (uid: string): Promise<{ token: string; sub: string; address: string }> => {
    const t = await token(uid);
    const s = standins.webpush.subscribe(`sub-${uid}`);
    const address = `${uid}@example.com`;
    expect((await call(server, 'POST', '/api/v2/enlist', { token: t, body: s })).status).toBe(200);
    expect((await call(server, 'POST', '/api/v2/profile', { token: t, body: { email: address } })).status).toBe(200);
    return { token: t, sub: subscriptionId(s.endpoint), address };
  };
  const emailsTo = (address: string, mid: string) =>
    standins.sendgrid.recorder.forKey(address).filter((r) => r.body.toString('utf8').includes(mid));

  // The three flows run at once: the online one must wait out its nearline delay anyway.
  describe.concurrent('three users, one message each', () => {
    it('an offline user gets the web push at once, then after the nearline delay one email through SendGrid', async ({
      expect,
    }) => {
      const dave = await person('dave');
      const text = 'dave: still unread after the delay';
      const sentAt = Date.now();
      const mid = await send(text, 'dave', { urgency: 3 });
      expect(await plan(mid)).toEqual([
        {
          uid: 'dave',
          online: false,
          steps: [
            expect.objectContaining({ channel: 'webpush', reason: 'offline' }),
            expect.objectContaining({ channel: 'email', reason: 'unread' }),
          ],
        },
      ]);
      await waitFor('the push', () =>
        pushPayloads(standins.webpush, dave.sub).some((p) => p.mid === mid) ? true : undefined,
      );
      expect(emailsTo(dave.address, mid)).toEqual([]);
      const [mail] = await waitFor(
        'the email',
        () => {
          const m = emailsTo(dave.address, mid);
          return m.length > 0 ? m : undefined;
        },
        NEARLINE_U3_MS + 15_000,
      );
      // Not before the nearline delay (a lower bound: load can only make it later).
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(NEARLINE_U3_MS);
      expect(mail?.problems).toEqual([]);
      expect(mail?.details['mail']).toMatchObject({ personalizations: [{ to: [{ email: dave.address }] }] });
      expect(JSON.stringify(mail?.details['mail'])).toContain(text);
      expect(summary(await outcomes(mid))).toEqual([
        ['DeliverySucceeded', 'email'],
        ['DeliverySucceeded', 'webpush'],
      ]);
      expect(pushPayloads(standins.webpush, dave.sub).map((p) => p.msg)).toEqual([text]);
      expect(emailsTo(dave.address, mid)).toHaveLength(1);
    });

    it('an offline user who clicks the push (POST /api/v2/ack clicked) before the delay gets no email', async ({
      expect,
    }) => {
      const erin = await person('erin');
      const mid = await send('erin: clicked at once', 'erin', { urgency: 3 });
      await waitFor('the push', () =>
        pushPayloads(standins.webpush, erin.sub).some((p) => p.mid === mid) ? true : undefined,
      );
      const ack = await call(server, 'POST', '/api/v2/ack', {
        token: erin.token,
        body: { mids: [mid], status: 'clicked' },
      });
      expect(ack.status, ack.text).toBe(200);
      const done = await outcomes(mid, NEARLINE_U3_MS + 15_000);
      expect(done.map((e) => [e.type, e.data['channel'], e.data['reason'] ?? null])).toEqual([
        ['DeliverySkipped', 'email', 'read'],
        ['DeliverySucceeded', 'webpush', null],
      ]);
      expect(standins.sendgrid.recorder.forKey(erin.address)).toEqual([]);
    });

    it('an online user who reads the message over the websocket gets no push and no email', async ({ expect }) => {
      const frank = await person('frank');
      const ws = await openLive(server, frank.token);
      sockets.push(ws);
      const mid = await send('frank: read live', 'frank', { urgency: 2 });
      await ws.next((f) => f.type === 'message' && f.mid === mid);
      ws.send({ type: 'read', mid, id: 1 });
      await ws.next((f) => f.type === 'ok' && f.id === 1);
      expect(await plan(mid)).toEqual([
        {
          uid: 'frank',
          online: true,
          steps: [
            expect.objectContaining({ channel: 'websocket', reason: 'live-session' }),
            expect.objectContaining({ channel: 'webpush', reason: 'unseen' }),
            expect.objectContaining({ channel: 'email', reason: 'unread' }),
          ],
        },
      ]);
      // Both later steps come due (push after 1.2 s, email after 14.4 s) and are skipped as read.
      const done = await outcomes(mid, NEARLINE_U2_MS + 15_000);
      expect(done.map((e) => [e.type, e.data['channel'], e.data['reason']])).toEqual([
        ['DeliverySkipped', 'email', 'read'],
        ['DeliverySkipped', 'webpush', 'read'],
      ]);
      expect(standins.webpush.recorder.forKey(frank.sub)).toEqual([]);
      expect(standins.sendgrid.recorder.forKey(frank.address)).toEqual([]);
    });
  });
});
