import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import {
  checkPrivateKey,
  decodeChannelEnv,
  DEFAULT_CHANNEL_SETTINGS,
  DEFAULT_PUSH_SERVICE_HOSTS,
  EmailTemplatesFile,
  ServiceAccount,
  vapidPublicOf,
  describeEnvErrors,
  type ChannelConfig,
  type ChannelEnv,
} from './channels.js';
import { mqttConfigFrom } from './config-mqtt.js';
import type { PushHosts } from './push-endpoint.js';

// Provider configuration, part of the one configuration (schema/config.ts configFromEnv): the
// environment is decoded by schema/channels.ts, then the files it names (service account, .p8
// key, CA, templates) are read and checked here, so that a wrong credential stops the broker
// with the variable's name instead of failing at the first send. No message repeats a value:
// only names, paths and reasons. The files are part of the configuration, so this codec reads
// them (through `readText`, which tests replace).

type Var = keyof ChannelEnv;
export type ReadText = (path: string) => string;

const groups: readonly { readonly vars: readonly Var[]; readonly required: readonly Var[] }[] = [
  // MSGXC_WEBPUSH_ALLOWED_HOSTS stands alone: enlisting checks endpoints against it even when
  // web push goes to the outbox.
  {
    vars: ['MSGXC_VAPID_PUBLIC_KEY', 'MSGXC_VAPID_PRIVATE_KEY', 'MSGXC_VAPID_SUBJECT'],
    required: ['MSGXC_VAPID_PUBLIC_KEY', 'MSGXC_VAPID_PRIVATE_KEY', 'MSGXC_VAPID_SUBJECT'],
  },
  {
    vars: ['MSGXC_FCM_PROJECT_ID', 'MSGXC_FCM_CREDENTIALS', 'MSGXC_FCM_ENDPOINT'],
    required: ['MSGXC_FCM_CREDENTIALS'],
  },
  // MSGXC_APNS_PRODUCTION has no default on purpose: a sandbox token sent to production
  // answers BadDeviceToken, which revokes the device, so the choice must be explicit.
  {
    vars: [
      'MSGXC_APNS_KEY_FILE',
      'MSGXC_APNS_KEY_ID',
      'MSGXC_APNS_TEAM_ID',
      'MSGXC_APNS_BUNDLE_ID',
      'MSGXC_APNS_PRODUCTION',
      'MSGXC_APNS_ENDPOINT',
    ],
    required: [
      'MSGXC_APNS_KEY_FILE',
      'MSGXC_APNS_KEY_ID',
      'MSGXC_APNS_TEAM_ID',
      'MSGXC_APNS_BUNDLE_ID',
      'MSGXC_APNS_PRODUCTION',
    ],
  },
  {
    vars: [
      'MSGXC_SENDGRID_API_KEY',
      'MSGXC_SENDGRID_FROM',
      'MSGXC_SENDGRID_TEMPLATE_ID',
      'MSGXC_SENDGRID_DIGEST_TEMPLATE_ID',
      'MSGXC_SENDGRID_BASE_URL',
    ],
    required: ['MSGXC_SENDGRID_API_KEY', 'MSGXC_SENDGRID_FROM'],
  },
  { vars: ['MSGXC_SMTP_URL', 'MSGXC_SMTP_FROM'], required: ['MSGXC_SMTP_URL', 'MSGXC_SMTP_FROM'] },
  {
    vars: ['MSGXC_TWILIO_ACCOUNT_SID', 'MSGXC_TWILIO_AUTH_TOKEN', 'MSGXC_TWILIO_FROM', 'MSGXC_TWILIO_BASE_URL'],
    required: ['MSGXC_TWILIO_ACCOUNT_SID', 'MSGXC_TWILIO_AUTH_TOKEN', 'MSGXC_TWILIO_FROM'],
  },
  {
    vars: [
      'MSGXC_MQTT_URL',
      'MSGXC_MQTT_TOPIC_BASE',
      'MSGXC_MQTT_QOS',
      'MSGXC_MQTT_RETAIN',
      'MSGXC_MQTT_CLIENT_ID',
      'MSGXC_MQTT_USERNAME',
      'MSGXC_MQTT_PASSWORD',
      'MSGXC_MQTT_CA_FILE',
      'MSGXC_MQTT_CERT_FILE',
      'MSGXC_MQTT_KEY_FILE',
      'MSGXC_MQTT_MAX_PAYLOAD',
    ],
    required: ['MSGXC_MQTT_URL'],
  },
];

const errnoOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? 'unreadable';

export const readTextFile: ReadText = (p) => readFileSync(p, 'utf8');

export const loadChannelConfig = (
  env: Record<string, string | undefined>,
  readText: ReadText = readTextFile,
): E.Either<string[], ChannelConfig> => {
  const present = (v: Var): boolean => env[v] !== undefined && env[v] !== '';
  const errors: string[] = [];
  const configured = new Set<Var>();
  for (const g of groups) {
    const set = g.vars.filter(present);
    if (set.length === 0) continue;
    const missing = g.required.filter((v) => !present(v));
    for (const v of missing)
      errors.push(`${v}: required when ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set`);
    if (missing.length === 0) for (const v of g.vars) configured.add(v);
  }
  // Every problem at once: malformed values, then missing companions.
  const decoded = decodeChannelEnv(env);
  if (E.isLeft(decoded)) return E.left([...decoded.left, ...errors]);
  const e = decoded.right;
  const read = (name: Var, path: string, showPath: boolean): string | undefined => {
    try {
      return readText(path);
    } catch (err) {
      errors.push(`${name}: cannot read ${showPath ? path : 'the file it names'} (${errnoOf(err)})`);
      return undefined;
    }
  };

  const ca =
    e.MSGXC_CHANNEL_CA_FILE !== undefined ? read('MSGXC_CHANNEL_CA_FILE', e.MSGXC_CHANNEL_CA_FILE, true) : undefined;
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----'))
    errors.push('MSGXC_CHANNEL_CA_FILE: holds no PEM certificate');
  let emailTemplates = DEFAULT_CHANNEL_SETTINGS.emailTemplates;
  if (e.MSGXC_EMAIL_TEMPLATES !== undefined) {
    const text = read('MSGXC_EMAIL_TEMPLATES', e.MSGXC_EMAIL_TEMPLATES, true);
    if (text !== undefined) {
      const parsed = E.chain((j: unknown) => E.mapLeft(describeEnvErrors)(EmailTemplatesFile.decode(j)))(
        E.tryCatch(
          () => JSON.parse(text) as unknown,
          () => ['not JSON'],
        ),
      );
      if (E.isLeft(parsed)) errors.push(`MSGXC_EMAIL_TEMPLATES: ${parsed.left.join('; ')}`);
      else emailTemplates = parsed.right;
    }
  }

  const allowedPushHosts: PushHosts =
    e.MSGXC_WEBPUSH_ALLOWED_HOSTS === undefined
      ? DEFAULT_PUSH_SERVICE_HOSTS
      : e.MSGXC_WEBPUSH_ALLOWED_HOSTS.trim() === '*'
        ? '*'
        : e.MSGXC_WEBPUSH_ALLOWED_HOSTS.split(',').map((h) => h.trim().toLowerCase());
  const webpush =
    configured.has('MSGXC_VAPID_PRIVATE_KEY') &&
    e.MSGXC_VAPID_PRIVATE_KEY !== undefined &&
    e.MSGXC_VAPID_PUBLIC_KEY !== undefined &&
    e.MSGXC_VAPID_SUBJECT !== undefined
      ? {
          publicKey: e.MSGXC_VAPID_PUBLIC_KEY,
          privateKey: e.MSGXC_VAPID_PRIVATE_KEY,
          subject: e.MSGXC_VAPID_SUBJECT,
          allowedHosts: allowedPushHosts,
        }
      : undefined;
  if (webpush !== undefined) {
    let pub: string | undefined;
    try {
      pub = vapidPublicOf(webpush.privateKey);
    } catch {
      errors.push('MSGXC_VAPID_PRIVATE_KEY: is not a valid P-256 private key');
    }
    if (pub !== undefined && pub !== webpush.publicKey)
      errors.push('MSGXC_VAPID_PUBLIC_KEY: does not belong to MSGXC_VAPID_PRIVATE_KEY');
  }

  let fcm: ChannelConfig['fcm'];
  if (configured.has('MSGXC_FCM_CREDENTIALS') && e.MSGXC_FCM_CREDENTIALS !== undefined) {
    const value = e.MSGXC_FCM_CREDENTIALS;
    const text = value.trimStart().startsWith('{') ? value : read('MSGXC_FCM_CREDENTIALS', value, false);
    if (text !== undefined) {
      const json = E.tryCatch(
        () => JSON.parse(text) as unknown,
        () => undefined,
      );
      const sa = E.isRight(json) ? ServiceAccount.decode(json.right) : undefined;
      if (sa === undefined) errors.push('MSGXC_FCM_CREDENTIALS: is not valid JSON');
      else if (E.isLeft(sa))
        errors.push(`MSGXC_FCM_CREDENTIALS: not a service-account key (${describeEnvErrors(sa.left).join('; ')})`);
      else {
        const keyProblem = checkPrivateKey(sa.right.private_key, 'rsa');
        if (keyProblem !== undefined) errors.push(`MSGXC_FCM_CREDENTIALS: private_key ${keyProblem}`);
        const projectId = e.MSGXC_FCM_PROJECT_ID ?? sa.right.project_id;
        if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(projectId))
          errors.push('MSGXC_FCM_PROJECT_ID: required (the service account names no valid project_id)');
        fcm = {
          projectId,
          serviceAccount: sa.right,
          ...(e.MSGXC_FCM_ENDPOINT !== undefined ? { endpoint: new URL(e.MSGXC_FCM_ENDPOINT) } : {}),
        };
      }
    }
  }

  let apns: ChannelConfig['apns'];
  if (
    configured.has('MSGXC_APNS_KEY_FILE') &&
    e.MSGXC_APNS_KEY_FILE !== undefined &&
    e.MSGXC_APNS_KEY_ID !== undefined &&
    e.MSGXC_APNS_TEAM_ID !== undefined &&
    e.MSGXC_APNS_BUNDLE_ID !== undefined &&
    e.MSGXC_APNS_PRODUCTION !== undefined
  ) {
    const key = read('MSGXC_APNS_KEY_FILE', e.MSGXC_APNS_KEY_FILE, true);
    const problem = key === undefined ? undefined : checkPrivateKey(key, 'ec-p256');
    if (problem !== undefined) errors.push(`MSGXC_APNS_KEY_FILE: ${e.MSGXC_APNS_KEY_FILE} ${problem}`);
    if (key !== undefined) {
      apns = {
        key,
        keyId: e.MSGXC_APNS_KEY_ID,
        teamId: e.MSGXC_APNS_TEAM_ID,
        bundleId: e.MSGXC_APNS_BUNDLE_ID,
        production: e.MSGXC_APNS_PRODUCTION,
        ...(e.MSGXC_APNS_ENDPOINT !== undefined ? { endpoint: new URL(e.MSGXC_APNS_ENDPOINT) } : {}),
      };
    }
  }

  const sendgrid =
    configured.has('MSGXC_SENDGRID_API_KEY') &&
    e.MSGXC_SENDGRID_API_KEY !== undefined &&
    e.MSGXC_SENDGRID_FROM !== undefined;
  const smtp = configured.has('MSGXC_SMTP_URL') && e.MSGXC_SMTP_URL !== undefined && e.MSGXC_SMTP_FROM !== undefined;
  if (sendgrid && smtp)
    errors.push('MSGXC_SMTP_URL: SendGrid is configured too (MSGXC_SENDGRID_API_KEY); set one email provider');
  const email: ChannelConfig['email'] =
    sendgrid && e.MSGXC_SENDGRID_API_KEY !== undefined && e.MSGXC_SENDGRID_FROM !== undefined
      ? {
          provider: 'sendgrid',
          apiKey: e.MSGXC_SENDGRID_API_KEY,
          from: e.MSGXC_SENDGRID_FROM,
          ...(e.MSGXC_SENDGRID_TEMPLATE_ID !== undefined ? { templateId: e.MSGXC_SENDGRID_TEMPLATE_ID } : {}),
          ...(e.MSGXC_SENDGRID_DIGEST_TEMPLATE_ID !== undefined
            ? { digestTemplateId: e.MSGXC_SENDGRID_DIGEST_TEMPLATE_ID }
            : {}),
          ...(e.MSGXC_SENDGRID_BASE_URL !== undefined ? { baseUrl: e.MSGXC_SENDGRID_BASE_URL } : {}),
        }
      : smtp && e.MSGXC_SMTP_URL !== undefined && e.MSGXC_SMTP_FROM !== undefined
        ? { provider: 'smtp', url: e.MSGXC_SMTP_URL, from: e.MSGXC_SMTP_FROM }
        : undefined;

  const sms: ChannelConfig['sms'] =
    configured.has('MSGXC_TWILIO_ACCOUNT_SID') &&
    e.MSGXC_TWILIO_ACCOUNT_SID !== undefined &&
    e.MSGXC_TWILIO_AUTH_TOKEN !== undefined &&
    e.MSGXC_TWILIO_FROM !== undefined
      ? {
          accountSid: e.MSGXC_TWILIO_ACCOUNT_SID,
          authToken: e.MSGXC_TWILIO_AUTH_TOKEN,
          from: e.MSGXC_TWILIO_FROM,
          ...(e.MSGXC_TWILIO_BASE_URL !== undefined ? { baseUrl: e.MSGXC_TWILIO_BASE_URL } : {}),
        }
      : undefined;
  const mqtt: ChannelConfig['mqtt'] =
    configured.has('MSGXC_MQTT_URL') && e.MSGXC_MQTT_URL !== undefined
      ? mqttConfigFrom(e, e.MSGXC_MQTT_URL, (name, path) => read(name, path, true), errors)
      : undefined;

  if (errors.length > 0) return E.left(errors);
  return E.right({
    ...(webpush !== undefined ? { webpush } : {}),
    ...(fcm !== undefined ? { fcm } : {}),
    ...(apns !== undefined ? { apns } : {}),
    ...(email !== undefined ? { email } : {}),
    ...(sms !== undefined ? { sms } : {}),
    ...(mqtt !== undefined ? { mqtt } : {}),
    settings: {
      ...(e.MSGXC_LINK_BASE !== undefined ? { linkBase: e.MSGXC_LINK_BASE } : {}),
      ...(ca !== undefined ? { ca } : {}),
      smsMaxLength: e.MSGXC_SMS_MAX_LENGTH ?? DEFAULT_CHANNEL_SETTINGS.smsMaxLength,
      timeoutMs: e.MSGXC_CHANNEL_TIMEOUT_MS ?? DEFAULT_CHANNEL_SETTINGS.timeoutMs,
      outboxMax: e.MSGXC_OUTBOX_MAX ?? DEFAULT_CHANNEL_SETTINGS.outboxMax,
      emailTemplates,
      allowedPushHosts,
    },
  });
};
