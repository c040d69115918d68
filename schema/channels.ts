import { createECDH, createPrivateKey } from 'node:crypto';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { errorPath } from './errors.js';
import { JsonObjectC } from './json.js';
import { DEFAULT_PUSH_SERVICE_HOSTS, type PushHosts } from './push-endpoint.js';

// ---- Payloads the broker sends to clients (service workers, MQTT subscribers decode these).

/** Web push payload: msgxc's `{msg, opts, slug}` plus the message id (and a receipt token, schema/receipt-token.ts). */
export const WebPushPayload = t.intersection(
  [
    t.type({ msg: t.string, opts: JsonObjectC, mid: t.string, slug: t.string }),
    t.partial({ tid: t.string, count: t.number, truncated: t.literal(true), receipt: t.string }),
  ],
  'WebPushPayload',
);
export type WebPushPayload = t.TypeOf<typeof WebPushPayload>;

/**
 * MQTT payload in onadata's shape: `{id, time, payload: {message, context, author}}`. A
 * context's `type` is the topic's kind (`user`, `xform`, `project`, or `thread` for threads
 * of msgxc's own); its `metadata.id` is a number when the id is one (onadata's pks), else
 * the id; `name` and `real_name` are there when the broker has them.
 */
export const MqttPayload = t.type(
  {
    id: t.string,
    time: t.string,
    payload: t.type({
      message: t.string,
      context: t.type({
        type: t.union([t.literal('user'), t.literal('xform'), t.literal('project'), t.literal('thread')]),
        metadata: t.intersection([
          t.type({ id: t.union([t.string, t.number]) }),
          t.partial({ name: t.string, form_id: t.string }),
        ]),
      }),
      author: t.intersection([t.type({ username: t.string }), t.partial({ real_name: t.string })]),
    }),
  },
  'MqttPayload',
);
export type MqttPayload = t.TypeOf<typeof MqttPayload>;

export const EmailTemplate = t.type({ subject: t.string, text: t.string, html: t.string }, 'EmailTemplate');
export type EmailTemplate = t.TypeOf<typeof EmailTemplate>;
/** The file MSGXC_EMAIL_TEMPLATES names: either template may be given, the other stays built in. */
export const EmailTemplatesFile = t.partial({ message: EmailTemplate, digest: EmailTemplate }, 'EmailTemplatesFile');

// ---- Provider settings from the environment. Every variable of a provider is validated at
// start-up; a provider with none of its variables set records to the outbox instead. Error
// messages name the variable and what was expected, and never repeat the value: these are
// credentials, and start-up errors end up in terminals and log collectors.

const str = (expected: string, ok: (s: string) => boolean) => t.refinement(t.string, ok, expected);
const re = (expected: string, pattern: RegExp) => str(expected, (s) => pattern.test(s));
const b64url = (bytes: number, expected: string) =>
  str(expected, (s) => /^[A-Za-z0-9_-]+$/.test(s) && Buffer.from(s, 'base64url').length === bytes);
const url = (expected: string, schemes: readonly string[]) =>
  str(expected, (s) => {
    try {
      return schemes.includes(new URL(s).protocol);
    } catch {
      return false;
    }
  });
const int = (min: number, max: number) =>
  new t.Type<number, string, unknown>(
    `an integer between ${min} and ${max}`,
    (u): u is number => typeof u === 'number',
    (u, c) =>
      typeof u === 'string' && /^\d+$/.test(u) && Number(u) >= min && Number(u) <= max
        ? t.success(Number(u))
        : t.failure(u, c),
    String,
  );
const bool = new t.Type<boolean, string, unknown>(
  'true or false',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) =>
    u === 'true' || u === '1' ? t.success(true) : u === 'false' || u === '0' ? t.success(false) : t.failure(u, c),
  String,
);
const nonEmpty = (expected: string) => str(expected, (s) => s.trim().length > 0);
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const sender = str(
  'an email address, or "Name <address>"',
  (s) => EMAIL.test(s) || /^[^<>]+<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>$/.test(s.trim()),
);
const endpoint = url('an https:// URL (test and proxy override)', ['https:']);

export const ChannelEnv = t.partial(
  {
    MSGXC_VAPID_PUBLIC_KEY: b64url(
      65,
      'a base64url P-256 public key, 65 bytes uncompressed (`msgxc vapid-keys` makes a pair)',
    ),
    MSGXC_VAPID_PRIVATE_KEY: b64url(32, 'a base64url P-256 private key, 32 bytes (`msgxc vapid-keys` makes a pair)'),
    MSGXC_VAPID_SUBJECT: str(
      'a mailto: or https: URL identifying the sender',
      (s) => /^mailto:\S+@\S+$/.test(s) || /^https:\/\/\S+$/.test(s),
    ),
    MSGXC_WEBPUSH_ALLOWED_HOSTS: re(
      'comma-separated push service host names (a name also allows its subdomains), or *',
      /^(\*|[A-Za-z0-9.-]+(\s*,\s*[A-Za-z0-9.-]+)*)$/,
    ),
    MSGXC_FCM_PROJECT_ID: re(
      'a Firebase project id (6-30 lowercase letters, digits and hyphens)',
      /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
    ),
    MSGXC_FCM_CREDENTIALS: nonEmpty('a path to a service-account JSON file, or that JSON itself'),
    MSGXC_FCM_ENDPOINT: endpoint,
    MSGXC_APNS_KEY_FILE: nonEmpty('a path to the .p8 signing key'),
    MSGXC_APNS_KEY_ID: re('a 10-character key id', /^[A-Z0-9]{10}$/),
    MSGXC_APNS_TEAM_ID: re('a 10-character team id', /^[A-Z0-9]{10}$/),
    MSGXC_APNS_BUNDLE_ID: re('a bundle id such as com.example.app', /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/),
    MSGXC_APNS_PRODUCTION: bool,
    MSGXC_APNS_ENDPOINT: endpoint,
    MSGXC_SENDGRID_API_KEY: re('a SendGrid API key (SG.<id>.<secret>)', /^SG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$/),
    MSGXC_SENDGRID_FROM: sender,
    MSGXC_SENDGRID_TEMPLATE_ID: re('a dynamic template id (d-<32 hex>)', /^d-[0-9a-f]{32}$/),
    MSGXC_SENDGRID_DIGEST_TEMPLATE_ID: re('a dynamic template id (d-<32 hex>)', /^d-[0-9a-f]{32}$/),
    MSGXC_SENDGRID_BASE_URL: url('an http(s):// URL (EU residency, proxy or test override)', ['https:', 'http:']),
    MSGXC_SMTP_URL: url('an smtp:// or smtps:// URL', ['smtp:', 'smtps:']),
    MSGXC_SMTP_FROM: sender,
    MSGXC_TWILIO_ACCOUNT_SID: re('an account SID (AC + 32 hex)', /^AC[0-9a-fA-F]{32}$/),
    MSGXC_TWILIO_AUTH_TOKEN: re('an auth token (32 hex)', /^[0-9a-fA-F]{32}$/),
    MSGXC_TWILIO_FROM: re(
      'an E.164 number (+15551234567) or a messaging service SID (MG...)',
      /^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/,
    ),
    MSGXC_TWILIO_BASE_URL: url('an http(s):// URL (proxy or test override)', ['https:', 'http:']),
    MSGXC_MQTT_URL: url('an mqtt://, mqtts://, ws:// or wss:// URL', ['mqtt:', 'mqtts:', 'ws:', 'wss:']),
    MSGXC_MQTT_TOPIC_BASE: re(
      'a topic root without wildcards or leading/trailing slashes',
      /^[^/+#\s]([^+#\s]*[^/+#\s])?$/,
    ),
    MSGXC_MQTT_QOS: int(0, 2),
    MSGXC_MQTT_RETAIN: bool,
    MSGXC_MQTT_CLIENT_ID: re('1 to 128 of A-Z a-z 0-9 . _ : -', /^[A-Za-z0-9._:-]{1,128}$/),
    MSGXC_MQTT_USERNAME: nonEmpty('a user name for the MQTT broker'),
    MSGXC_MQTT_PASSWORD: nonEmpty('a password for the MQTT broker'),
    MSGXC_MQTT_CA_FILE: nonEmpty("a path to PEM certificates of the MQTT broker's certificate authority"),
    MSGXC_MQTT_CERT_FILE: nonEmpty('a path to the PEM client certificate for the MQTT broker'),
    MSGXC_MQTT_KEY_FILE: nonEmpty("a path to the client certificate's PEM private key"),
    // Bytes of a whole PUBLISH packet: from a packet that carries any message at all up to
    // MQTT's own ceiling (a 4-byte remaining length, 268435455, plus its fixed header).
    MSGXC_MQTT_MAX_PAYLOAD: int(1_024, 268_435_460),
    MSGXC_LINK_BASE: url('an http(s):// URL of the app, for links in SMS and email', ['https:', 'http:']),
    MSGXC_SMS_MAX_LENGTH: int(40, 1600),
    MSGXC_CHANNEL_TIMEOUT_MS: int(100, 120_000),
    MSGXC_CHANNEL_CA_FILE: nonEmpty('a path to PEM certificates to trust for provider connections'),
    MSGXC_OUTBOX_MAX: int(100, 10_000_000),
    MSGXC_EMAIL_TEMPLATES: nonEmpty('a path to a JSON file of email templates'),
  },
  'ChannelEnv',
);
export type ChannelEnv = t.TypeOf<typeof ChannelEnv>;

export const ServiceAccount = t.intersection(
  [
    t.type({ type: t.literal('service_account'), project_id: t.string, private_key: t.string, client_email: t.string }),
    t.partial({ token_uri: t.string, private_key_id: t.string }),
  ],
  'ServiceAccount',
);
export type ServiceAccount = t.TypeOf<typeof ServiceAccount>;

/**
 * Subscription endpoints are URLs that browsers (so, users) supply: the broker only POSTs to
 * the push services' hosts, or the ones configured (tests allow 127.0.0.1), never to
 * arbitrary addresses inside its own network (schema/push-endpoint.ts).
 */
export { DEFAULT_PUSH_SERVICE_HOSTS };
export interface WebPushConfig {
  readonly publicKey: string;
  readonly privateKey: string;
  readonly subject: string;
  readonly allowedHosts: PushHosts;
}
/** Tests and proxies: `endpoint` is where every Google API connection is dialed (TLS names stay Google's). */
export interface FcmConfig {
  readonly projectId: string;
  readonly serviceAccount: ServiceAccount;
  readonly endpoint?: URL;
}
/** Tests: `endpoint` replaces api.push.apple.com / the sandbox host as http2.connect's address and port. */
export interface ApnsConfig {
  readonly key: string;
  readonly keyId: string;
  readonly teamId: string;
  readonly bundleId: string;
  readonly production: boolean;
  readonly endpoint?: URL;
}
/** Tests, EU residency and proxies: `baseUrl` replaces https://api.sendgrid.com/. */
export interface SendGridConfig {
  readonly provider: 'sendgrid';
  readonly apiKey: string;
  readonly from: string;
  readonly templateId?: string;
  readonly digestTemplateId?: string;
  readonly baseUrl?: string;
}
export interface SmtpConfig {
  readonly provider: 'smtp';
  readonly url: string;
  readonly from: string;
}
/** Tests and proxies: `baseUrl` replaces https://api.twilio.com through the SDK's httpClient option. */
export interface TwilioConfig {
  readonly accountSid: string;
  readonly authToken: string;
  readonly from: string;
  readonly baseUrl?: string;
}
export interface MqttConfig {
  readonly url: string;
  readonly topicBase: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** Default `msgxc-<random>` per process; a fixed one must differ per node (a broker drops the older of two). */
  readonly clientId?: string;
  /** Overrides the URL's user info. */
  readonly username?: string;
  readonly password?: string;
  /** PEM: the broker's CA (trusted besides the public roots), the client certificate and its key. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Bytes: a PUBLISH packet larger than this is failed permanently before it is sent (MSGXC_MQTT_MAX_PAYLOAD; default 256 KB). */
  readonly maxPacket?: number;
}
export interface ChannelSettings {
  readonly linkBase?: string;
  readonly smsMaxLength: number;
  readonly timeoutMs: number;
  /** Extra PEM certificates trusted for provider TLS (a corporate proxy's CA, or the tests' CA). */
  readonly ca?: string;
  readonly outboxMax: number;
  readonly emailTemplates: t.TypeOf<typeof EmailTemplatesFile>;
  /** MSGXC_WEBPUSH_ALLOWED_HOSTS, read whether or not web push is configured: enlisting checks it too. */
  readonly allowedPushHosts: PushHosts;
}
export interface ChannelConfig {
  readonly webpush?: WebPushConfig;
  readonly fcm?: FcmConfig;
  readonly apns?: ApnsConfig;
  readonly email?: SendGridConfig | SmtpConfig;
  readonly sms?: TwilioConfig;
  readonly mqtt?: MqttConfig;
  readonly settings: ChannelSettings;
}

export const DEFAULT_CHANNEL_SETTINGS: ChannelSettings = {
  smsMaxLength: 160,
  timeoutMs: 10_000,
  outboxMax: 10_000,
  emailTemplates: {},
  allowedPushHosts: DEFAULT_PUSH_SERVICE_HOSTS,
};
export const NO_PROVIDERS: ChannelConfig = { settings: DEFAULT_CHANNEL_SETTINGS };

export const describeEnvErrors = (errors: t.Errors): string[] => [
  ...new Set(
    errors.map(
      (e) =>
        `${errorPath(e) || '(environment)'}: expected ${e.context[e.context.length - 1]?.type.name ?? 'a valid value'}`,
    ),
  ),
];
export const decodeChannelEnv = (env: Record<string, string | undefined>): E.Either<string[], ChannelEnv> => {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('MSGXC_') && v !== undefined && v !== ''),
  );
  return E.mapLeft(describeEnvErrors)(ChannelEnv.decode(relevant));
};

/** The public key that belongs to a VAPID private key, to catch a mismatched pair at start-up. */
export const vapidPublicOf = (privateKey: string): string => {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
  return ecdh.getPublicKey().toString('base64url');
};

/** Undefined when the PEM is a private key of the wanted type (and curve), else what is wrong. */
export const checkPrivateKey = (pem: string, type: 'rsa' | 'ec-p256'): string | undefined => {
  try {
    const key = createPrivateKey(pem);
    if (type === 'rsa') return key.asymmetricKeyType === 'rsa' ? undefined : 'is not an RSA private key';
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      ? undefined
      : 'is not a P-256 (ES256) private key';
  } catch {
    return 'is not a PEM private key';
  }
};
