// Provider configuration from the environment, with the files it names on disk: a wrong or
// missing credential is a start-up error that names the variable and never repeats the
// value, and no secret reaches an outcome, a provider summary or a log line.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import webpush from 'web-push';
import { loadChannelConfig } from '../../schema/config-channels.js';
import { channelSecrets, describeChannelConfig } from '../../adapters/channels/secrets.js';
import { createSqliteOutbox } from '../../adapters/channels/outbox-store.js';
import { redactor } from '../../adapters/channels/redact.js';
import { createChannels } from '../../adapters/channels/registry.js';
import type { Delivery, Recipient } from '../../ports/channel.js';
import { DEFAULT_PUSH_SERVICE_HOSTS } from '../../schema/push-endpoint.js';
import { createLogger } from '../../app/log.js';
import { deliveryOf } from '../contract/channel.contract.js';
import { freePort } from '../infra/process.js';
import { makeApnsKey } from '../standins/apns.js';
import { makeServiceAccount } from '../standins/fcm.js';
import { testPki } from '../standins/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'msgxc-channel-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const vapid = webpush.generateVAPIDKeys();
const sa = makeServiceAccount('msgxc-prod-1').json;
const apnsKey = makeApnsKey();
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const SENDGRID_KEY = 'SG.abcdefghijklmnop.qrstuvwxyz0123456789ABCDEFGHIJ';
const TWILIO_TOKEN = '0123456789abcdef0123456789abcdef';
const MQTT_PASSWORD = 'mqtt-pass-Zx91';

const fullEnv = (): Record<string, string> => ({
  MSGXC_VAPID_PUBLIC_KEY: vapid.publicKey,
  MSGXC_VAPID_PRIVATE_KEY: vapid.privateKey,
  MSGXC_VAPID_SUBJECT: 'mailto:ops@example.com',
  MSGXC_FCM_CREDENTIALS: file('sa.json', JSON.stringify(sa)),
  MSGXC_APNS_KEY_FILE: file('AuthKey.p8', apnsKey.p8),
  MSGXC_APNS_KEY_ID: apnsKey.keyId,
  MSGXC_APNS_TEAM_ID: apnsKey.teamId,
  MSGXC_APNS_BUNDLE_ID: apnsKey.bundleId,
  MSGXC_APNS_PRODUCTION: 'true',
  MSGXC_SENDGRID_API_KEY: SENDGRID_KEY,
  MSGXC_SENDGRID_FROM: 'msgxc <noreply@example.com>',
  MSGXC_TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
  MSGXC_TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
  MSGXC_TWILIO_FROM: '+15017122661',
  MSGXC_MQTT_URL: `mqtt://msgxc:${MQTT_PASSWORD}@127.0.0.1:1883`,
});

const errorsOf = (env: Record<string, string>): string[] => {
  const r = loadChannelConfig(env);
  return E.isLeft(r) ? r.left : [];
};

describe('channel configuration from the environment', () => {
  it('uses the outbox for every channel when no provider is configured', () => {
    const r = loadChannelConfig({ MSGXC_PORT: '8080' });
    expect(E.isRight(r)).toBe(true);
    if (E.isRight(r)) {
      expect(describeChannelConfig(r.right)).toEqual({
        webpush: 'outbox',
        fcm: 'outbox',
        apns: 'outbox',
        email: 'outbox',
        sms: 'outbox',
        mqtt: 'outbox',
      });
      expect(r.right.settings).toEqual({
        smsMaxLength: 160,
        timeoutMs: 10_000,
        outboxMax: 10_000,
        emailTemplates: {},
        allowedPushHosts: DEFAULT_PUSH_SERVICE_HOSTS,
      });
    }
  });

  it('reads MSGXC_WEBPUSH_ALLOWED_HOSTS without VAPID keys: enlisting checks endpoints against it', () => {
    const r = loadChannelConfig({ MSGXC_WEBPUSH_ALLOWED_HOSTS: '127.0.0.1, Push.Example.org' });
    expect(E.isRight(r) && r.right.settings.allowedPushHosts).toEqual(['127.0.0.1', 'push.example.org']);
    expect(E.isRight(r) && describeChannelConfig(r.right).webpush).toBe('outbox');
  });

  it('reads every provider, with the files it names, and takes the FCM project from the service account', () => {
    const r = loadChannelConfig({
      ...fullEnv(),
      MSGXC_MQTT_QOS: '2',
      MSGXC_LINK_BASE: 'https://app.example.com',
      MSGXC_SMS_MAX_LENGTH: '70',
    });
    expect(r).toMatchObject({
      _tag: 'Right',
      right: {
        fcm: { projectId: 'msgxc-prod-1', serviceAccount: { client_email: sa.client_email } },
        apns: { keyId: apnsKey.keyId, production: true, key: apnsKey.p8 },
        email: { provider: 'sendgrid', from: 'msgxc <noreply@example.com>' },
        mqtt: { topicBase: 'msgxc', qos: 2, retain: false },
        settings: { linkBase: 'https://app.example.com', smsMaxLength: 70 },
      },
    });
    if (E.isRight(r))
      expect(describeChannelConfig(r.right)).toEqual({
        webpush: 'web-push',
        fcm: 'fcm',
        apns: 'apns',
        email: 'sendgrid',
        sms: 'twilio',
        mqtt: 'mqtt',
      });
  });

  it('accepts the service account as inline JSON, and email over SMTP instead of SendGrid', () => {
    const r = loadChannelConfig({
      MSGXC_FCM_CREDENTIALS: JSON.stringify(sa),
      MSGXC_SMTP_URL: 'smtps://u:p@mail.example.com',
      MSGXC_SMTP_FROM: 'noreply@example.com',
    });
    expect(r).toMatchObject({
      _tag: 'Right',
      right: { fcm: { projectId: 'msgxc-prod-1' }, email: { provider: 'smtp' } },
    });
  });

  it('names each variable a partly configured provider still needs', () => {
    expect(errorsOf({ MSGXC_VAPID_PUBLIC_KEY: vapid.publicKey })).toEqual([
      'MSGXC_VAPID_PRIVATE_KEY: required when MSGXC_VAPID_PUBLIC_KEY is set',
      'MSGXC_VAPID_SUBJECT: required when MSGXC_VAPID_PUBLIC_KEY is set',
    ]);
    const noProduction = Object.fromEntries(
      Object.entries(fullEnv()).filter(([k]) => k.startsWith('MSGXC_APNS') && k !== 'MSGXC_APNS_PRODUCTION'),
    );
    expect(errorsOf(noProduction)).toEqual([
      expect.stringMatching(/^MSGXC_APNS_PRODUCTION: required when MSGXC_APNS_KEY_FILE, /) as unknown,
    ]);
    expect(
      errorsOf({ ...fullEnv(), MSGXC_SMTP_URL: 'smtp://mail.example.com', MSGXC_SMTP_FROM: 'a@example.com' }),
    ).toEqual(['MSGXC_SMTP_URL: SendGrid is configured too (MSGXC_SENDGRID_API_KEY); set one email provider']);
  });

  // [variable, bad value, secret that must not be echoed]
  const wrongKey = webpush.generateVAPIDKeys();
  const cases: readonly (readonly [string, string, string])[] = [
    ['MSGXC_VAPID_PRIVATE_KEY', 'not-a-key-but-a-SECRET-value', 'SECRET-value'],
    ['MSGXC_VAPID_PUBLIC_KEY', wrongKey.publicKey, vapid.privateKey],
    ['MSGXC_SENDGRID_API_KEY', 'sk_live_SECRET0123456789', 'SECRET0123456789'],
    ['MSGXC_TWILIO_AUTH_TOKEN', 'SECRET-token-xyz', 'SECRET-token-xyz'],
    ['MSGXC_FCM_CREDENTIALS', '{"type":"service_account","private_key":"SECRETPEMVALUE", oops', 'SECRETPEMVALUE'],
    ['MSGXC_FCM_CREDENTIALS', JSON.stringify({ ...sa, private_key: 'SECRETPEMVALUE' }), 'SECRETPEMVALUE'],
    ['MSGXC_FCM_CREDENTIALS', file('ec-sa.json', JSON.stringify({ ...sa, private_key: apnsKey.p8 })), 'PRIVATE KEY'],
    ['MSGXC_FCM_CREDENTIALS', '/nonexistent/SECRET/sa.json', 'SECRET'],
    ['MSGXC_APNS_KEY_FILE', file('rsa.p8', rsaPem), 'PRIVATE KEY'],
    ['MSGXC_MQTT_URL', `http://msgxc:${MQTT_PASSWORD}@broker`, MQTT_PASSWORD],
    ['MSGXC_SMTP_URL', 'https://u:SMTP-SECRET@mail', 'SMTP-SECRET'],
  ];

  it.each(cases)('refuses a malformed %s, naming it and not repeating the value', (name, value, secret) => {
    const env: Record<string, string> = { ...fullEnv(), [name]: value };
    if (name === 'MSGXC_SMTP_URL') {
      delete env['MSGXC_SENDGRID_API_KEY'];
      delete env['MSGXC_SENDGRID_FROM'];
      env['MSGXC_SMTP_FROM'] = 'a@example.com';
    }
    const errors = errorsOf(env);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => e.startsWith(`${name}:`))).toBe(true);
    for (const e of errors) expect(e).not.toContain(secret);
  });

  it('lists every secret of a configuration so that a redactor removes them', () => {
    const r = loadChannelConfig(fullEnv());
    if (E.isLeft(r)) throw new Error(r.left.join('\n'));
    const secrets = channelSecrets(r.right);
    for (const s of [vapid.privateKey, sa.private_key, apnsKey.p8, SENDGRID_KEY, TWILIO_TOKEN, MQTT_PASSWORD])
      expect(secrets).toContain(s);
    const redact = redactor(secrets);
    expect(redact(`key ${SENDGRID_KEY} token ${TWILIO_TOKEN} pass ${MQTT_PASSWORD} Bearer abcdefghijkl0123`)).toBe(
      'key [redacted] token [redacted] pass [redacted] Bearer [redacted]',
    );
  });

  it('keeps every secret out of outcomes, the provider summary and the log when all providers are unreachable', async () => {
    const pki = await testPki();
    const closed = `https://127.0.0.1:${await freePort()}`;
    const env = {
      ...fullEnv(),
      MSGXC_FCM_ENDPOINT: closed,
      MSGXC_APNS_ENDPOINT: closed,
      MSGXC_SENDGRID_BASE_URL: closed,
      MSGXC_TWILIO_BASE_URL: closed,
      MSGXC_MQTT_URL: `mqtt://msgxc:${MQTT_PASSWORD}@127.0.0.1:${await freePort()}`,
      MSGXC_CHANNEL_TIMEOUT_MS: '1000',
      MSGXC_CHANNEL_CA_FILE: file('ca.pem', pki.ca),
      MSGXC_WEBPUSH_ALLOWED_HOSTS: '127.0.0.1',
    };
    const r = loadChannelConfig(env);
    if (E.isLeft(r)) throw new Error(r.left.join('\n'));
    const outbox = createSqliteOutbox({ file: join(dir, 'outbox.db'), max: 100 });
    const channels = createChannels(r.right, { outbox });
    let logged = '';
    const log = createLogger(
      'info',
      new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          logged += chunk.toString();
          cb();
        },
      }),
    );
    try {
      const sub = webpush.generateVAPIDKeys();
      const d = <R extends Recipient>(to: R): Delivery<R> => deliveryOf(to);
      const outcomes = [
        ...(await channels.webpush.deliver([
          d({
            channel: 'webpush',
            uid: 'u',
            deviceId: 'w',
            subscription: {
              endpoint: `${closed}/push/1`,
              keys: { p256dh: sub.publicKey, auth: 'AAAAAAAAAAAAAAAAAAAAAA' },
            },
          }),
        ])),
        ...(await channels.fcm.deliver([d({ channel: 'fcm', uid: 'u', deviceId: 'f', token: 'tok' })])),
        ...(await channels.apns.deliver([d({ channel: 'apns', uid: 'u', deviceId: 'a', token: 'a'.repeat(64) })])),
        ...(await channels.email.deliver([d({ channel: 'email', uid: 'u', address: 'u@example.com' })])),
        ...(await channels.sms.deliver([d({ channel: 'sms', uid: 'u', number: '+15551234567' })])),
        ...(await channels.mqtt.deliver([d({ channel: 'mqtt', target: { kind: 'user', uid: 'u' } })])),
      ];
      expect(outcomes.map((o) => o.kind)).toEqual(['retry', 'retry', 'retry', 'retry', 'retry', 'retry']);
      log.info({ channels: channels.providers, outcomes }, 'channels');
      log.flush();
      // The log line is written asynchronously: wait for it (it ends with a newline), not for a time.
      for (const end = Date.now() + 5_000; !/"msg":"channels"[^\n]*\n/.test(logged); ) {
        if (Date.now() > end) throw new Error(`the channels log line never arrived: ${logged}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const text = `${JSON.stringify(outcomes)}${JSON.stringify(channels.providers)}${logged}`;
      expect(logged).toContain('"webpush":"web-push"');
      for (const secret of channelSecrets(r.right)) expect(text).not.toContain(secret);
      expect(text).not.toContain('PRIVATE KEY');
    } finally {
      await channels.close();
      await outbox.close();
    }
  });
});
