// Firebase Cloud Messaging's HTTP v1 API and Google's OAuth token endpoint on one HTTPS
// server. The SDK keeps `Host: fcm.googleapis.com` / `oauth2.googleapis.com` while its agent
// dials here, so the stand-in routes by path and records the host it was asked for. The
// token endpoint verifies the service account's signed JWT assertion (RS256) with the
// account's public key; the send endpoint accepts only tokens it issued.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { answerWith, listen, type StandinServer } from './http-server.js';
import { readBody, Recorder, reply, type Answer } from './recorder.js';
import type { TestPki } from './tls.js';

export interface ServiceAccountJson {
  readonly type: 'service_account';
  readonly project_id: string;
  readonly private_key_id: string;
  readonly private_key: string;
  readonly client_email: string;
  readonly client_id: string;
  readonly token_uri: string;
}

export interface FcmStandin extends StandinServer {
  readonly recorder: Recorder;
  readonly projectId: string;
  readonly serviceAccount: ServiceAccountJson;
  /** Requests to the OAuth token endpoint, each with its verified claims or problems. */
  readonly tokenRequests: { readonly claims?: Record<string, unknown>; readonly problems: readonly string[] }[];
}

/** A service account with a fresh RSA key, as the Firebase console would download it. */
export const makeServiceAccount = (projectId: string): { json: ServiceAccountJson; publicKey: KeyObject } => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKey,
    json: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `firebase-adminsdk@${projectId}.iam.gserviceaccount.com`,
      client_id: '1234567890',
      token_uri: 'https://oauth2.googleapis.com/token',
    },
  };
};

const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const googleError = (
  code: number,
  status: string,
  message: string,
  fcmCode?: string,
  extra: object[] = [],
): object => ({
  error: {
    code,
    message,
    status,
    details: [...(fcmCode !== undefined ? [{ '@type': FCM_ERROR, errorCode: fcmCode }] : []), ...extra],
  },
});

// Error bodies as FCM's v1 API sends them.
export const fcmErrors = {
  unregistered: (): Answer =>
    reply(404, googleError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED')),
  invalidToken: (): Answer =>
    reply(
      400,
      googleError(
        400,
        'INVALID_ARGUMENT',
        'The registration token is not a valid FCM registration token',
        'INVALID_ARGUMENT',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [
              { field: 'message.token', description: 'The registration token is not a valid FCM registration token' },
            ],
          },
        ],
      ),
    ),
  invalidPayload: (): Answer =>
    reply(
      400,
      googleError(
        400,
        'INVALID_ARGUMENT',
        "Invalid value at 'message.data[0].value' (TYPE_STRING), 42",
        'INVALID_ARGUMENT',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [
              {
                field: 'message.data[0].value',
                description: "Invalid value at 'message.data[0].value' (TYPE_STRING), 42",
              },
            ],
          },
        ],
      ),
    ),
  quotaExceeded: (retryAfterS: number): Answer =>
    reply(
      429,
      googleError(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' of service 'fcm.googleapis.com' for consumer 'project_number:1234567890'.",
        'QUOTA_EXCEEDED',
      ),
      { 'retry-after': String(retryAfterS) },
    ),
  unavailable: (retryAfterS?: number): Answer =>
    reply(
      503,
      googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'),
      retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) },
    ),
  internal: (): Answer => reply(500, googleError(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL')),
  senderMismatch: (): Answer =>
    reply(403, googleError(403, 'PERMISSION_DENIED', 'SenderId mismatch', 'SENDER_ID_MISMATCH')),
};

const unauthenticated = (): Answer =>
  reply(
    401,
    googleError(
      401,
      'UNAUTHENTICATED',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    ),
  );

export const startFcmStandin = async (pki: TestPki, projectId = 'msgxc-test'): Promise<FcmStandin> => {
  const recorder = new Recorder();
  const { json, publicKey } = makeServiceAccount(projectId);
  const issued = new Set<string>();
  const tokenRequests: FcmStandin['tokenRequests'] = [];
  let sent = 0;

  const token = async (form: URLSearchParams): Promise<Answer> => {
    const problems: string[] = [];
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      problems.push('grant_type is not jwt-bearer');
    try {
      const { payload } = await jwtVerify(form.get('assertion') ?? '', publicKey, {
        algorithms: ['RS256'],
        issuer: json.client_email,
        audience: json.token_uri,
      });
      if (typeof payload['scope'] !== 'string' || !payload['scope'].includes('firebase.messaging'))
        problems.push('scope lacks firebase.messaging');
      tokenRequests.push({ claims: payload, problems });
    } catch (e) {
      problems.push(`assertion rejected: ${(e as Error).message}`);
      tokenRequests.push({ problems });
    }
    if (problems.length > 0) return reply(400, { error: 'invalid_grant', error_description: problems.join('; ') });
    const accessToken = `ya29.standin-${randomBytes(12).toString('hex')}`;
    issued.add(accessToken);
    return reply(200, { access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
  };

  const server = await listen((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? '';
      if (req.method === 'POST' && path === '/token') {
        answerWith(res, await token(new URLSearchParams(body.toString('utf8'))), reply(500));
        return;
      }
      const problems: string[] = [];
      let parsed: { message?: { token?: string } } = {};
      try {
        parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
      } catch {
        problems.push('body is not JSON');
      }
      if (path !== `/v1/projects/${projectId}/messages:send`) problems.push(`path ${path}`);
      if (req.headers.host !== 'fcm.googleapis.com') problems.push(`Host ${String(req.headers.host)}`);
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const authorized = bearer !== undefined && issued.has(bearer);
      if (!authorized) problems.push('no access token issued by the token endpoint');
      const key = parsed.message?.token ?? '';
      const answer = recorder.take({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body,
        key,
        problems,
        details: { request: parsed },
      });
      const fallback = !authorized
        ? unauthenticated()
        : problems.length > 0
          ? reply(400, googleError(400, 'INVALID_ARGUMENT', problems.join('; ')))
          : reply(200, { name: `projects/${projectId}/messages/${String(++sent)}` });
      answerWith(res, answer, fallback);
    })();
  }, pki);

  return { ...server, recorder, projectId, serviceAccount: json, tokenRequests };
};
