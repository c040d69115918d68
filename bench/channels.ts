// Sends per second through each channel adapter to its local stand-in, against a bare loop
// of the same SDK call with the same concurrency, in the same process and run (target: the
// adapter at >= 0.8x the bare loop). Bare and adapter runs alternate in rounds so that a
// noisy moment on the shared machine hurts both alike. Also: what web push encryption costs
// per message. The stand-ins run in this process and do their own crypto (VAPID and provider
// JWT checks, aes128gcm decryption), which both sides of each pair pay equally.
//   npx vite-node bench/channels.ts [sends per run, default 2000] [rounds, default 3] [only names containing]
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import apn from '@parse/node-apn';
import sgMail from '@sendgrid/mail';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getMessaging, type Message } from 'firebase-admin/messaging';
import { connectAsync } from 'mqtt';
import { createTransport } from 'nodemailer';
import twilio from 'twilio';
import webpush from 'web-push';
import { createApnsChannel } from '../adapters/channels/apns.js';
import { dialingAgent } from '../adapters/channels/agent.js';
import { createSendGridChannel } from '../adapters/channels/email-sendgrid.js';
import { createSmtpChannel } from '../adapters/channels/email-smtp.js';
import { createFcmChannel } from '../adapters/channels/fcm.js';
import { serviceAccountCredential } from '../adapters/channels/fcm-credential.js';
import { createMqttChannel } from '../adapters/channels/mqtt.js';
import { createSqliteOutbox } from '../adapters/channels/outbox-store.js';
import { createChannels } from '../adapters/channels/registry.js';
import { mapLimit } from '../adapters/channels/pool.js';
import type { Channel, Delivery, OutgoingMessage, Recipient } from '../ports/channel.js';
import { BaseUrlRequestClient, createSmsChannel } from '../adapters/channels/sms.js';
import { createWebPushChannel } from '../adapters/channels/webpush.js';
import { NO_PROVIDERS } from '../schema/channels.js';
import { startMosquitto } from '../test/infra/mosquitto.js';
import { makeRunDir, removeDir } from '../test/infra/process.js';
import { startApnsStandin } from '../test/standins/apns.js';
import { startFcmStandin } from '../test/standins/fcm.js';
import { startSendGridStandin } from '../test/standins/sendgrid.js';
import { startSmtpStandin } from '../test/standins/smtp.js';
import { testPki } from '../test/standins/tls.js';
import { startTwilioStandin } from '../test/standins/twilio.js';
import { startWebPushStandin } from '../test/standins/webpush.js';

const N = Number(process.argv[2] ?? '2000');
const ROUNDS = Number(process.argv[3] ?? '3');
const ONLY = (process.argv[4] ?? '').toLowerCase();
const pki = await testPki();
const message: OutgoingMessage = {
  mid: '0190f0a0-0000-7000-8000-000000000001',
  from: 'alice',
  tid: 'lobby',
  threadName: 'Lobby',
  msg: 'hello '.repeat(20),
  opts: { data: { key: 'whatever' } },
  urgency: 3,
  at: new Date().toISOString(),
};
const deliveries = <R extends Recipient>(n: number, to: (i: number) => R): Delivery<R>[] =>
  Array.from({ length: n }, (_, i) => ({ id: `b-${i}`, attempt: 0, to: to(i), content: { kind: 'message', message } }));
const viaAdapter =
  <R extends Recipient>(ch: Channel<R>, to: (i: number) => R) =>
  async (n: number): Promise<void> => {
    const outcomes = await ch.deliver(deliveries(n, to));
    const bad = outcomes.filter((o) => o.kind !== 'delivered').length;
    if (bad > 0) throw new Error(`${ch.provider}: ${bad} sends not delivered`);
  };
const ca = [...rootCertificates, pki.ca];

interface Pair {
  readonly name: string;
  readonly concurrency: number;
  readonly bare?: (n: number) => Promise<void>;
  readonly adapter: (n: number) => Promise<void>;
  readonly close: () => Promise<void>;
}

const webPushPair = async (): Promise<Pair> => {
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

const fcmPair = async (): Promise<Pair> => {
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

const apnsPair = async (): Promise<Pair> => {
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

const sendGridPair = async (): Promise<Pair> => {
  const s = await startSendGridStandin();
  sgMail.setApiKey(s.apiKey);
  (sgMail as unknown as { client: { setDefaultRequest(k: string, v: unknown): void } }).client.setDefaultRequest(
    'baseUrl',
    s.url,
  );
  const ch = createSendGridChannel({
    config: { provider: 'sendgrid', apiKey: s.apiKey, from: 'noreply@example.com', baseUrl: s.url },
    settings: { templates: {} },
    timeoutMs: 10_000,
  });
  return {
    name: 'email (@sendgrid/mail)',
    concurrency: 32,
    bare: async (n) => {
      await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        32,
        (i) =>
          sgMail.send({
            to: `u${i}@example.com`,
            from: 'noreply@example.com',
            subject: 'New message in Lobby',
            text: message.msg,
            html: `<p>${message.msg}</p>`,
          }),
      );
    },
    adapter: viaAdapter(ch, (i) => ({ channel: 'email', uid: 'u', address: `u${i}@example.com` })),
    close: async () => {
      await ch.close();
      await s.close();
    },
  };
};

const smtpPair = async (): Promise<Pair> => {
  const s = await startSmtpStandin(pki);
  const transport = createTransport({ url: s.url, pool: true, maxConnections: 4, tls: { ca } });
  const ch = createSmtpChannel({
    config: { provider: 'smtp', url: s.url, from: 'noreply@example.com' },
    settings: { templates: {} },
    ca: pki.ca,
    timeoutMs: 10_000,
  });
  return {
    name: 'email (nodemailer SMTP)',
    concurrency: 8,
    bare: async (n) => {
      await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        8,
        (i) =>
          transport.sendMail({
            from: 'noreply@example.com',
            to: `u${i}@example.com`,
            subject: 'New message in Lobby',
            text: message.msg,
            html: `<p>${message.msg}</p>`,
          }),
      );
    },
    adapter: viaAdapter(ch, (i) => ({ channel: 'email', uid: 'u', address: `u${i}@example.com` })),
    close: async () => {
      transport.close();
      await ch.close();
      await s.close();
    },
  };
};

const twilioPair = async (): Promise<Pair> => {
  const s = await startTwilioStandin();
  const config = { accountSid: s.accountSid, authToken: s.authToken, from: '+15017122661', baseUrl: s.url };
  const ch = createSmsChannel({ config, maxLength: 160, timeoutMs: 10_000 });
  const client = twilio(s.accountSid, s.authToken, {
    httpClient: new BaseUrlRequestClient(new URL(s.url), { keepAlive: true, maxSockets: 32 }),
    env: {},
  });
  return {
    name: 'SMS (twilio)',
    concurrency: 16,
    bare: async (n) => {
      await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        16,
        (i) =>
          client.messages.create({ to: `+1555${String(i).padStart(7, '0')}`, from: '+15017122661', body: message.msg }),
      );
    },
    adapter: viaAdapter(ch, (i) => ({ channel: 'sms', uid: 'u', number: `+1555${String(i).padStart(7, '0')}` })),
    close: async () => {
      await ch.close();
      await s.close();
    },
  };
};

const mqttPair = async (): Promise<Pair> => {
  const broker = await startMosquitto();
  const config = { url: broker.url, topicBase: 'bench', qos: 1 as const, retain: false };
  const client = await connectAsync(broker.url);
  const ch = createMqttChannel({ config, timeoutMs: 10_000 });
  const payload = JSON.stringify({
    id: message.mid,
    time: message.at,
    payload: { message: message.msg, context: { type: 'user', metadata: { id: 'u' } }, author: { username: 'alice' } },
  });
  return {
    name: 'MQTT (mqtt, QoS 1, Mosquitto)',
    concurrency: 64,
    bare: async (n) => {
      await mapLimit(
        Array.from({ length: n }, (_, i) => i),
        64,
        (i) => client.publishAsync(`/bench/user/u${i}/messages/publish`, payload, { qos: 1 }),
      );
    },
    adapter: viaAdapter(ch, (i) => ({ channel: 'mqtt', target: { kind: 'user', uid: `u${i}` } })),
    close: async () => {
      await client.endAsync();
      await ch.close();
      await broker.stop();
    },
  };
};

const outboxPair = async (): Promise<Pair> => {
  const dir = await makeRunDir('bench-outbox');
  const outbox = createSqliteOutbox({ file: `${dir}/outbox.db`, max: 1_000_000 });
  const channels = createChannels(NO_PROVIDERS, { outbox });
  let k = 0;
  return {
    name: 'outbox (SQLite, FCM render)',
    concurrency: 1,
    adapter: async (n) => {
      const base = k;
      k += n;
      await viaAdapter(channels.fcm, (i) => ({ channel: 'fcm', uid: 'u', deviceId: 'd', token: `t${base + i}` }))(n);
    },
    close: async () => {
      await channels.close();
      await outbox.close();
      await removeDir(dir);
    },
  };
};

const time = async (fn: (n: number) => Promise<void>, n: number): Promise<number> => {
  const t0 = performance.now();
  await fn(n);
  return (performance.now() - t0) / 1000;
};

const rows: string[] = [];
const fmt = (x: number, w: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '-').padStart(w);
rows.push(
  `${'adapter'.padEnd(34)}${'in flight'.padStart(10)}${'bare sends/s'.padStart(14)}${'adapter sends/s'.padStart(17)}${'ratio'.padStart(8)}`,
);
for (const make of [webPushPair, fcmPair, apnsPair, sendGridPair, smtpPair, twilioPair, mqttPair, outboxPair]) {
  if (ONLY !== '' && !make.name.toLowerCase().includes(ONLY)) continue;
  const p = await make();
  try {
    const warm = Math.min(200, N);
    if (p.bare) await p.bare(warm);
    await p.adapter(warm);
    let [bareT, adapterT] = [0, 0];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        if (p.bare) bareT += await time(p.bare, N);
        adapterT += await time(p.adapter, N);
      } else {
        adapterT += await time(p.adapter, N);
        if (p.bare) bareT += await time(p.bare, N);
      }
    }
    const bare = p.bare ? (N * ROUNDS) / bareT : Number.NaN;
    const adapter = (N * ROUNDS) / adapterT;
    rows.push(
      `${p.name.padEnd(34)}${String(p.concurrency).padStart(10)}${fmt(bare, 14)}${fmt(adapter, 17)}${fmt(adapter / bare, 8, 2)}`,
    );
    console.error(rows[rows.length - 1]);
  } finally {
    await p.close();
  }
}

// Web push: the sender's cost per message, without the network.
const s = await startWebPushStandin(pki);
const sub = s.subscribe('cost');
const keys = webpush.generateVAPIDKeys();
const body = JSON.stringify({ msg: message.msg, opts: message.opts, mid: message.mid, slug: '/thread/lobby' });
const perOp = (label: string, n: number, fn: () => unknown): string => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return `${label.padEnd(58)}${fmt(((performance.now() - t0) * 1000) / n, 8)} µs`;
};
const costs = [
  perOp('aes128gcm encryption (ECDH P-256 + HKDF + AES-GCM)', 2000, () =>
    webpush.encrypt(sub.keys.p256dh, sub.keys.auth, body, 'aes128gcm'),
  ),
  perOp('VAPID JWT signature (ES256)', 2000, () =>
    webpush.getVapidHeaders(s.url, 'mailto:bench@example.com', keys.publicKey, keys.privateKey, 'aes128gcm'),
  ),
  perOp('whole request as web-push builds it (both of the above)', 2000, () =>
    webpush.generateRequestDetails(sub, body, {
      vapidDetails: { subject: 'mailto:bench@example.com', ...keys },
      TTL: 60,
    }),
  ),
];
await s.close();

console.log(`\nchannel adapters vs bare SDK loops, ${N} sends x ${ROUNDS} rounds each (Node ${process.version})\n`);
console.log(rows.join('\n'));
console.log('\nweb push, sender-side cost per message:');
console.log(costs.join('\n'));
