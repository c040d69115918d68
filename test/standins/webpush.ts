// A web push service (RFC 8030) on HTTPS: it hands out subscriptions whose private keys it
// keeps, checks the VAPID JWT (RFC 8292) against the `k` key the sender presents, and
// decrypts each aes128gcm body (RFC 8291) with `http_ece`, an implementation independent
// of the one inside `web-push`, to the exact text that was sent.
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { createRequire } from 'node:module';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { answerWith, listen, type StandinServer } from './http-server.js';
import { readBody, Recorder, reply, type Answer } from './recorder.js';
import type { TestPki } from './tls.js';

interface HttpEce {
  decrypt(buffer: Buffer, params: { version: 'aes128gcm'; privateKey: ECDH; authSecret: string }): Buffer;
}
const ece = createRequire(import.meta.url)('http_ece') as HttpEce;

export interface PushSubscriptionJson {
  readonly endpoint: string;
  readonly expirationTime: null;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface WebPushStandin extends StandinServer {
  readonly recorder: Recorder;
  /** A new browser subscription on this service; `id` is the recorder key of its requests. */
  subscribe(id?: string): PushSubscriptionJson;
}

const autopush = (code: number, errno: number, error: string, message: string): object => ({
  code,
  errno,
  error,
  message,
  more_info: 'http://autopush.readthedocs.io/en/latest/http.html#error-codes',
});

// Error answers as Mozilla's push service (autopush) words them.
export const webPushErrors = {
  gone: (): Answer =>
    reply(410, autopush(410, 106, 'Gone', 'Request did not validate subscription has expired or been removed')),
  notFound: (): Answer => reply(404, autopush(404, 102, 'Not Found', 'Request did not validate invalid token')),
  tooLarge: (): Answer =>
    reply(413, autopush(413, 104, 'Payload Too Large', 'Request did not validate payload too large')),
  throttled: (retryAfterS: number): Answer =>
    reply(429, autopush(429, 999, 'Too Many Requests', 'Too many requests'), { 'retry-after': String(retryAfterS) }),
  unavailable: (): Answer => reply(503, autopush(503, 201, 'Service Unavailable', 'Service temporarily unavailable')),
  serverError: (): Answer => reply(500, autopush(500, 999, 'Internal Server Error', 'An internal error occurred')),
};

const URGENCIES = new Set(['very-low', 'low', 'normal', 'high']);

const keyOfVapid = (k: string) => {
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  return importJWK(
    {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    'ES256',
  );
};

/** Checks the VAPID Authorization header; returns its claims and problems found. */
const checkVapid = async (
  header: string | undefined,
  audience: string,
): Promise<{ problems: string[]; claims?: Record<string, unknown>; k?: string }> => {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
  if (m?.[1] === undefined || m[2] === undefined)
    return { problems: ['Authorization is not "vapid t=<jwt>, k=<key>"'] };
  const [token, k] = [m[1], m[2]];
  try {
    if (decodeProtectedHeader(token).alg !== 'ES256') return { problems: ['VAPID JWT is not ES256'], k };
    const { payload } = await jwtVerify(token, await keyOfVapid(k), { algorithms: ['ES256'], audience });
    const problems: string[] = [];
    if (typeof payload.exp !== 'number' || payload.exp > Date.now() / 1000 + 24 * 3600)
      problems.push('VAPID exp missing or more than 24 h ahead');
    if (typeof payload.sub !== 'string' || !/^(mailto:|https:)/.test(payload.sub))
      problems.push('VAPID sub is not a mailto: or https: URL');
    return { problems, claims: payload, k };
  } catch (e) {
    return { problems: [`VAPID JWT rejected: ${(e as Error).message}`], k };
  }
};

export const startWebPushStandin = async (pki: TestPki): Promise<WebPushStandin> => {
  const recorder = new Recorder();
  const subscriptions = new Map<string, { ecdh: ECDH; auth: string }>();
  let delivered = 0;
  let origin = '';

  const server = await listen((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? '';
      const id = /^\/push\/([\w-]+)$/.exec(path)?.[1] ?? '';
      const sub = subscriptions.get(id);
      const problems: string[] = [];
      const details: Record<string, unknown> = {};
      if (req.method !== 'POST') problems.push(`method ${String(req.method)}`);
      if (sub === undefined) problems.push(`unknown subscription ${path}`);
      const ttl = req.headers['ttl'];
      if (typeof ttl !== 'string' || !/^\d+$/.test(ttl)) problems.push('TTL header missing or not an integer');
      const urgency = req.headers['urgency'];
      if (typeof urgency !== 'string' || !URGENCIES.has(urgency)) problems.push('Urgency header missing or invalid');
      const topic = req.headers['topic'];
      if (topic !== undefined && (typeof topic !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(topic)))
        problems.push('Topic is not 1-32 URL-safe base64 characters');
      if (req.headers['content-encoding'] !== 'aes128gcm') problems.push('Content-Encoding is not aes128gcm');
      const vapid = await checkVapid(req.headers.authorization, origin);
      problems.push(...vapid.problems);
      Object.assign(details, { ttl, urgency, topic, vapidClaims: vapid.claims, vapidKey: vapid.k });
      if (sub !== undefined && body.length > 0) {
        try {
          details['payload'] = ece
            .decrypt(body, { version: 'aes128gcm', privateKey: sub.ecdh, authSecret: sub.auth })
            .toString('utf8');
        } catch (e) {
          problems.push(`payload does not decrypt: ${(e as Error).message}`);
        }
      }
      const answer = recorder.take({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body,
        key: id,
        problems,
        details,
      });
      const fallback =
        sub === undefined
          ? webPushErrors.notFound()
          : problems.length > 0
            ? reply(400, { code: 400, errno: 110, error: 'Bad Request', message: problems.join('; ') })
            : reply(201, '', { location: `${origin}/m/${String(++delivered)}` });
      answerWith(res, answer, fallback);
    })();
  }, pki);
  origin = `https://127.0.0.1:${server.port}`;

  return {
    ...server,
    recorder,
    subscribe: (id = randomBytes(8).toString('hex')) => {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16).toString('base64url');
      subscriptions.set(id, { ecdh, auth });
      return {
        endpoint: `${origin}/push/${id}`,
        expirationTime: null,
        keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
      };
    },
  };
};
