import { createPrivateKey, type KeyObject } from 'node:crypto';
import { request, type Agent } from 'node:https';
import { SignJWT } from 'jose';
import type { ServiceAccount } from '../../schema/channels.js';

// firebase-admin's Credential interface, implemented with the service account's key: an
// RFC 7523 JWT-bearer grant to the account's token_uri. The SDK's own `cert()` credential
// goes through google-auth-library, whose transport does not use the app's `httpAgent`, so
// it could reach neither a test stand-in nor a configured proxy; this one uses our agent.
// firebase-admin caches the token and asks again shortly before it expires.
export interface AccessToken {
  readonly access_token: string;
  readonly expires_in: number;
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging https://www.googleapis.com/auth/cloud-platform';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

const post = (url: string, form: string, agent: Agent, timeoutMs: number): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error('token request timed out'));
    });
    req.on('error', reject);
    req.end(form);
  });

export const serviceAccountCredential = (
  sa: ServiceAccount,
  agent: Agent,
  timeoutMs: number,
  now: () => number = Date.now,
) => {
  const key: KeyObject = createPrivateKey(sa.private_key);
  const tokenUri = sa.token_uri ?? DEFAULT_TOKEN_URI;
  return {
    getAccessToken: async (): Promise<AccessToken> => {
      const iat = Math.floor(now() / 1000);
      const assertion = await new SignJWT({ scope: SCOPE })
        .setProtectedHeader({
          alg: 'RS256',
          typ: 'JWT',
          ...(sa.private_key_id !== undefined ? { kid: sa.private_key_id } : {}),
        })
        .setIssuer(sa.client_email)
        .setAudience(tokenUri)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 3600)
        .sign(key);
      const form = new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
      }).toString();
      const res = await post(tokenUri, form, agent, timeoutMs);
      let body: Partial<AccessToken> & { error?: unknown } = {};
      try {
        body = JSON.parse(res.body) as typeof body;
      } catch {
        /* reported below */
      }
      if (res.status !== 200 || typeof body.access_token !== 'string') {
        // Only the OAuth error code: the description can quote the request.
        throw new Error(
          `token endpoint answered ${res.status}${typeof body.error === 'string' ? ` ${body.error}` : ''}`,
        );
      }
      return {
        access_token: body.access_token,
        expires_in: typeof body.expires_in === 'number' ? body.expires_in : 3600,
      };
    },
  };
};
