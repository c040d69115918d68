import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { Actor } from '../schema/metadata.js';
import { isIdLike } from '../schema/ids.js';

// JWT as msgxc used it (`Authorization: [Bearer ]<jwt>`, `sub` the user id, `roles` with
// `admin`), with what msgxc forgot: exp/nbf are enforced and the algorithm is pinned, so an
// `alg: none` or an HS256 token signed with a public key is refused.
export interface Verifier {
  verify(token: string): Promise<Actor | { error: string }>;
}

export interface AuthConfig {
  readonly secret?: string;
  readonly publicKey?: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceSec?: number;
}

const CACHE_MAX = 50_000;

export const createVerifier = (config: AuthConfig, now: () => number = Date.now): Verifier => {
  const keys: { key: KeyObject; algorithms: string[] }[] = [];
  if (config.secret !== undefined) keys.push({ key: createSecretKey(Buffer.from(config.secret)), algorithms: config.algorithms.filter((a) => a.startsWith('HS')) });
  if (config.publicKey !== undefined) keys.push({ key: createPublicKey(config.publicKey), algorithms: config.algorithms.filter((a) => !a.startsWith('HS')) });
  // Verified tokens are cached until their own expiry: a busy client reuses one token for
  // thousands of requests, and re-verifying the signature each time is pure waste.
  const cache = new Map<string, { actor: Actor; exp: number }>();

  const verifyUncached = async (token: string): Promise<Actor | { error: string }> => {
    let lastError = 'invalid token';
    for (const { key, algorithms } of keys) {
      if (algorithms.length === 0) continue;
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms,
          clockTolerance: config.clockToleranceSec ?? 5,
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || !isIdLike(payload.sub)) return { error: 'token has no valid `sub` (user id)' };
        const roles = Array.isArray(payload['roles']) ? payload['roles'].filter((r): r is string => typeof r === 'string') : [];
        const actor: Actor = { uid: payload.sub, roles };
        cache.set(token, { actor, exp: typeof payload.exp === 'number' ? payload.exp * 1000 : Number.POSITIVE_INFINITY });
        if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value ?? '');
        return actor;
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired) return { error: 'token expired' };
        if (e instanceof joseErrors.JWTClaimValidationFailed) return { error: `token claim \`${e.claim}\` rejected: ${e.reason}` };
        if (e instanceof joseErrors.JOSEAlgNotAllowed) lastError = 'token algorithm not allowed';
        else if (e instanceof joseErrors.JWSSignatureVerificationFailed) lastError = 'token signature invalid';
        else lastError = 'token malformed';
      }
    }
    return { error: lastError };
  };

  return {
    verify: async (token) => {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.exp > now()) return hit.actor;
        cache.delete(token);
        return { error: 'token expired' };
      }
      return verifyUncached(token);
    },
  };
};

/** `Authorization: Bearer <jwt>` or a bare `<jwt>` (msgxc accepted both). */
export const tokenFromHeader = (header: string): string | undefined => {
  const v = header.trim();
  if (v === '') return undefined;
  return /^bearer\s+/i.test(v) ? v.replace(/^bearer\s+/i, '').trim() : v;
};

export const isAdmin = (actor: Actor): boolean => actor.roles.includes('admin');
export const isAuditor = (actor: Actor): boolean => actor.roles.includes('auditor') || isAdmin(actor);
