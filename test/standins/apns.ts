// Apple Push Notification service on HTTP/2 over TLS, as the provider API documents it:
// POST /3/device/<token>, the apns-* headers, and token authentication with an ES256 JWT
// (kid = key id, iss = team id) that the stand-in verifies with the .p8 key's public half.
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createSecureServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { bodyOf, readBody, Recorder, reply, type Answer } from './recorder.js';
import type { TestPki } from './tls.js';

export interface ApnsKey {
  readonly keyId: string;
  readonly teamId: string;
  readonly bundleId: string;
  readonly p8: string;
  readonly publicKey: KeyObject;
}

export interface ApnsStandin {
  readonly url: string;
  readonly port: number;
  readonly recorder: Recorder;
  readonly key: ApnsKey;
  close(): Promise<void>;
}

/** A fresh APNs signing key, in the PKCS#8 PEM form of the .p8 file Apple hands out. */
export const makeApnsKey = (bundleId = 'com.example.msgxc'): ApnsKey => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    keyId: 'ABC123DEFG',
    teamId: 'TEAM123456',
    bundleId,
    p8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey,
  };
};

// Error answers as APNs words them.
export const apnsErrors = {
  unregistered: (): Answer => reply(410, { reason: 'Unregistered', timestamp: Date.now() }),
  badDeviceToken: (): Answer => reply(400, { reason: 'BadDeviceToken' }),
  notForTopic: (): Answer => reply(400, { reason: 'DeviceTokenNotForTopic' }),
  payloadTooLarge: (): Answer => reply(413, { reason: 'PayloadTooLarge' }),
  tooManyRequests: (retryAfterS?: number): Answer =>
    reply(
      429,
      { reason: 'TooManyRequests' },
      retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) },
    ),
  internal: (): Answer => reply(500, { reason: 'InternalServerError' }),
  unavailable: (): Answer => reply(503, { reason: 'ServiceUnavailable' }),
  invalidProviderToken: (): Answer => reply(403, { reason: 'InvalidProviderToken' }),
};

const PUSH_TYPES = new Set([
  'alert',
  'background',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'liveactivity',
  'pushtotalk',
  'location',
  'widgets',
  'controls',
]);

const checkHeaders = async (
  h: IncomingHttpHeaders,
  key: ApnsKey,
): Promise<{ problems: string[]; claims?: Record<string, unknown> }> => {
  const problems: string[] = [];
  if (h[':method'] !== 'POST') problems.push(`method ${String(h[':method'])}`);
  if (h['apns-topic'] !== key.bundleId) problems.push(`apns-topic ${String(h['apns-topic'])}`);
  if (typeof h['apns-push-type'] !== 'string' || !PUSH_TYPES.has(h['apns-push-type']))
    problems.push('apns-push-type missing or unknown');
  if (!['10', '5', '1', undefined].includes(h['apns-priority'] as string | undefined))
    problems.push('apns-priority not 10, 5 or 1');
  if (h['apns-expiration'] !== undefined && !/^\d+$/.test(String(h['apns-expiration'])))
    problems.push('apns-expiration not a UNIX time');
  if (h['apns-collapse-id'] !== undefined && Buffer.byteLength(String(h['apns-collapse-id'])) > 64)
    problems.push('apns-collapse-id over 64 bytes');
  const jwt = /^bearer (.+)$/i.exec(h.authorization ?? '')?.[1];
  if (jwt === undefined) return { problems: [...problems, 'no bearer provider token'] };
  try {
    if (decodeProtectedHeader(jwt).kid !== key.keyId) problems.push('provider token kid is not the key id');
    const { payload } = await jwtVerify(jwt, key.publicKey, {
      algorithms: ['ES256'],
      issuer: key.teamId,
      maxTokenAge: '1h',
    });
    return { problems, claims: payload };
  } catch (e) {
    return { problems: [...problems, `provider token rejected: ${(e as Error).message}`] };
  }
};

const respond = (stream: ServerHttp2Stream, a: Answer): void => {
  if (a.kind === 'hang') return;
  if (a.kind === 'reset') {
    stream.close(2);
    return;
  }
  const body = bodyOf(a);
  stream.respond({
    ':status': a.status,
    'apns-id': randomUUID(),
    ...(body !== '' ? { 'content-type': 'application/json' } : {}),
    ...a.headers,
  });
  stream.end(body);
};

export const startApnsStandin = async (pki: TestPki, key: ApnsKey = makeApnsKey()): Promise<ApnsStandin> => {
  const recorder = new Recorder();
  const sessions = new Set<Http2Session>();
  const server = createSecureServer({ cert: pki.cert, key: pki.key, allowHTTP1: false });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    void (async () => {
      const body = await readBody(stream);
      const path = String(headers[':path']);
      const token = /^\/3\/device\/([^/?]+)$/.exec(path)?.[1] ?? '';
      const { problems, claims } = await checkHeaders(headers, key);
      if (token === '') problems.push(`path ${path}`);
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        problems.push('body is not JSON');
      }
      if (body.length > 4096) problems.push('payload over 4096 bytes');
      const answer = recorder.take({
        method: String(headers[':method']),
        path,
        headers,
        body,
        key: token,
        problems,
        details: { payload, claims },
      });
      const fallback = !/^[0-9a-f]{64}$/i.test(token)
        ? apnsErrors.badDeviceToken()
        : problems.some((p) => p.includes('provider token'))
          ? apnsErrors.invalidProviderToken()
          : problems.length > 0
            ? reply(400, { reason: 'BadRequest', problems })
            : reply(200);
      respond(stream, answer ?? fallback);
    })();
  });
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    recorder,
    key,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
};
