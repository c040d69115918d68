// The push pairs of bench/channels.ts (web push, FCM, APNs): a bare SDK loop and the adapter,
// each against its local stand-in.
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';
import apn from '@parse/node-apn';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging, type Message } from 'firebase-admin/messaging';
import webpush from 'web-push';
import { createApnsChannel } from '../adapters/channels/apns.js';
import { dialingAgent } from '../adapters/channels/agent.js';
import { createFcmChannel } from '../adapters/channels/fcm.js';
import { serviceAccountCredential } from '../adapters/channels/fcm-credential.js';
import { mapLimit } from '../adapters/channels/pool.js';
import { createWebPushChannel } from '../adapters/channels/webpush.js';
import { startApnsStandin } from '../test/standins/apns.js';
import { startFcmStandin } from '../test/standins/fcm.js';
import { startWebPushStandin } from '../test/standins/webpush.js';

import { ca, message, pki, viaAdapter, type Pair } from './channel-pairs-common.js';

export const webPushPair = async (): Promise<Pair> => {
  const s = await startWebPushStandin(pki);
  const subs = Array.from({ length: 200 }, (_, i) => s.subscribe(`s${i}`));
  const keys = webpush.generateVAPIDKeys();
  const vapidDetails = { subject: 'mailto:bench@example.com', ...keys };
  const agent = new Agent({ keepAlive: true, maxSockets: 64, secureContext: createSecureContext({ ca }) });
  const ch = createWebPushChannel({
    config: { ...vapidDetails, allowedHosts: ['127.0.0.1'] },
    ca: pki.ca,
    timeoutMs: 10_000,
  });
  const body = JSON.stringify({ msg: message.msg, opts: message.opts, mid: message.mid, slug: '/thread/lobby' });
  return {
    name: 'web push (web-push)',
    concurrency: 64,
    bare: async (n) => {
      await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        64,
        (i) =>
          webpush.sendNotification(subs[i % subs.length] ?? (subs[0] as never), body, {
            vapidDetails,
            TTL: 86400,
            urgency: 'normal',
            agent,
            timeout: 10_000,
          }),
      );
    },
    adapter: viaAdapter(ch, (i) => ({
      channel: 'webpush',
      uid: 'u',
      deviceId: 'd',
      subscription: subs[i % subs.length] ?? (subs[0] as never),
    })),
    close: async () => {
      agent.destroy();
      await ch.close();
      await s.close();
    },
  };
};

export const fcmPair = async (): Promise<Pair> => {
  const s = await startFcmStandin(pki);
  const config = { projectId: s.projectId, serviceAccount: s.serviceAccount, endpoint: new URL(s.url) };
  const agent = dialingAgent(new URL(s.url), pki.ca);
  const app = initializeApp(
    { credential: serviceAccountCredential(s.serviceAccount, agent, 10_000), projectId: s.projectId, httpAgent: agent },
    'bench-bare',
  );
  const messaging = getMessaging(app);
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  messaging.enableLegacyHttpTransport();
  const ch = createFcmChannel({ config, ca: pki.ca, timeoutMs: 10_000 });
  const msg = (i: number): Message => ({
    token: `t${i}`,
    notification: { title: 'Lobby', body: message.msg },
    data: { key: 'whatever', mid: message.mid },
    android: { priority: 'high', ttl: 86_400_000 },
  });
  return {
    name: 'FCM (firebase-admin sendEach)',
    concurrency: 64,
    bare: async (n) => {
      for (let i = 0; i < n; i += 500)
        await messaging.sendEach(Array.from({ length: Math.min(500, n - i) }, (_, j) => msg(i + j)));
    },
    adapter: viaAdapter(ch, (i) => ({ channel: 'fcm', uid: 'u', deviceId: 'd', token: `t${i}` })),
    close: async () => {
      await deleteApp(app);
      agent.destroy();
      await ch.close();
      await s.close();
    },
  };
};

export const apnsPair = async (): Promise<Pair> => {
  const s = await startApnsStandin(pki);
  const config = {
    key: s.key.p8,
    keyId: s.key.keyId,
    teamId: s.key.teamId,
    bundleId: s.key.bundleId,
    production: false,
    endpoint: new URL(s.url),
  };
  const provider = new apn.Provider({
    token: { key: s.key.p8, keyId: s.key.keyId, teamId: s.key.teamId },
    production: false,
    address: '127.0.0.1',
    port: s.port,
    ca,
  });
  const ch = createApnsChannel({ config, ca: pki.ca, timeoutMs: 10_000 });
  const tok = (i: number): string => (i % 5000).toString(16).padStart(64, '0');
  return {
    name: 'APNs (@parse/node-apn)',
    concurrency: 100,
    bare: async (n) => {
      await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        100,
        (i) =>
          provider.send(
            new apn.Notification({
              topic: s.key.bundleId,
              pushType: 'alert',
              priority: 10,
              alert: { body: message.msg },
              payload: { mid: message.mid },
            }),
            tok(i),
          ),
      );
    },
    adapter: viaAdapter(ch, (i) => ({ channel: 'apns', uid: 'u', deviceId: 'd', token: tok(i) })),
    close: async () => {
      await provider.shutdown();
      await ch.close();
      await s.close();
    },
  };
};
