// The other pairs of bench/channels.ts (SendGrid, SMTP, Twilio, MQTT, the outbox): a bare SDK
// loop and the adapter, each against its local stand-in.
import sgMail from '@sendgrid/mail';
import { connectAsync } from 'mqtt';
import { createTransport } from 'nodemailer';
import twilio from 'twilio';
import { createSendGridChannel } from '../adapters/channels/email-sendgrid.js';
import { createSmtpChannel } from '../adapters/channels/email-smtp.js';
import { createMqttChannel } from '../adapters/channels/mqtt.js';
import { createSqliteOutbox } from '../adapters/channels/outbox-store.js';
import { createChannels } from '../adapters/channels/registry.js';
import { mapLimit } from '../adapters/channels/pool.js';
import { BaseUrlRequestClient, createSmsChannel } from '../adapters/channels/sms.js';
import { NO_PROVIDERS } from '../schema/channels.js';
import { startMosquitto } from '../test/infra/mosquitto.js';
import { makeRunDir, removeDir } from '../test/infra/process.js';
import { startSendGridStandin } from '../test/standins/sendgrid.js';
import { startSmtpStandin } from '../test/standins/smtp.js';
import { startTwilioStandin } from '../test/standins/twilio.js';

import { ca, message, pki, viaAdapter, type Pair } from './channel-pairs-common.js';

export const sendGridPair = async (): Promise<Pair> => {
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

export const smtpPair = async (): Promise<Pair> => {
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

export const twilioPair = async (): Promise<Pair> => {
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

export const mqttPair = async (): Promise<Pair> => {
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

export const outboxPair = async (): Promise<Pair> => {
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
