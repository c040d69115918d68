import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Actor } from '../schema/metadata.js';
import { Roles } from '../schema/metadata.js';
import { isIdLike } from '../schema/ids.js';
import { LIMITS } from '../schema/bounds.js';
import { DEFAULT_AUTH_SETTINGS, type AuthSettings } from '../schema/config-auth.js';

// JWT as msgxc used it (`Authorization: [Bearer ]<jwt>`, `sub` the user id, `roles` with
// `admin`), with what msgxc forgot: the algorithm is pinned (so `alg: none` or an HS256 token
// signed with a public key is refused), nbf is enforced, and a token must expire: `exp` is
// required unless the deployment allows tokens without it, which then live a bounded time
// from their `iat`. An `iat` in the future is refused (a clock or a forger far ahead).
// HTTP requests, websocket upgrades and websocket `auth` frames all verify here.
export interface Verified extends Actor {
  /** When the token stops being valid (epoch ms): its `exp`, or `iat` + the maximum lifetime. */
  readonly expiresAt: number;
}

export interface Verifier {
  verify(token: string): Promise<Verified | { error: string }>;
}

export interface AuthConfig extends Partial<AuthSettings> {
  readonly secret?: string;
  readonly publicKey?: string;
  readonly algorithms: readonly string[];
}

const CACHE_MAX = 50_000;

/** Role names other systems gave the same powers: msgxc's services checked `msgxc_admin,admin`. */
export const ROLE_ALIASES: Readonly<Record<string, string>> = { msgxc_admin: 'admin' };

// An aliased role is added under our name, the token's own role kept beside it (the event
// metadata shows both); when the token already uses the maximum number of roles, the alias
// is replaced instead, so the bound still holds.
const withRoleAliases = (roles: readonly string[]): string[] => {
  const out = [...roles];
  for (const [alias, role] of Object.entries(ROLE_ALIASES)) {
    const at = out.indexOf(alias);
    if (at === -1 || out.includes(role)) continue;
    if (out.length < LIMITS.roles) out.push(role);
    else out[at] = role;
  }
  return out;
};

const rejected = (claim: string, why: string): { error: string } => ({
  error: `token claim \`${claim}\` rejected: ${why}`,
});

const kindOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** The claims jose does not judge: expiry policy, future `iat`, usable `sub` and `roles`. */
const judge = (payload: JWTPayload, settings: AuthSettings, nowMs: number): Verified | { error: string } => {
  const toleranceMs = settings.clockToleranceSec * 1000;
  const { exp, iat } = payload;
  // JSON numbers beyond a double (`1e400`) parse as Infinity: an `exp` that never comes, or an
  // `iat` that moves the maximum lifetime to the end of time. Not a NumericDate: refused.
  for (const [claim, v] of [
    ['exp', exp],
    ['iat', iat],
    ['nbf', payload.nbf],
  ] as const)
    if (v !== undefined && !Number.isFinite(v)) return rejected(claim, 'not a finite time');
  if (iat !== undefined && iat * 1000 > nowMs + toleranceMs) return rejected('iat', 'issued in the future');
  // jose checks `aud` against MSGXC_JWT_AUDIENCE when it is set; without it, a token for an
  // audience is one for another service (RFC 7519 4.1.3), not for this broker.
  if (settings.audience === undefined && payload.aud !== undefined)
    return rejected('aud', 'this broker has no audience (MSGXC_JWT_AUDIENCE): a token for another service');
  let expiresAt: number;
  if (exp !== undefined) expiresAt = exp * 1000;
  else if (settings.requireExp) return rejected('exp', 'missing: tokens must expire');
  else if (iat === undefined) return rejected('iat', 'a token without `exp` must carry `iat`');
  else expiresAt = (iat + settings.maxLifetimeSec) * 1000;
  if (nowMs > expiresAt + toleranceMs) return { error: 'token expired' };
  if (typeof payload.sub !== 'string' || !isIdLike(payload.sub)) return { error: 'token has no valid `sub` (user id)' };
  // No `roles` claim: no roles. Any other shape (`"admin"`, an object, null, a number or a
  // nested array among the names) is an issuer's mistake: refused, naming the claim, rather
  // than read as fewer roles than the issuer meant to give.
  const claimed = payload['roles'];
  if (claimed !== undefined && !Array.isArray(claimed))
    return rejected('roles', `expected an array of role names, got ${kindOf(claimed)}`);
  const roles: unknown[] = claimed ?? [];
  const odd = roles.findIndex((r) => typeof r !== 'string');
  if (odd !== -1)
    return rejected('roles', `expected an array of role names, got ${kindOf(roles[odd])} at roles[${odd}]`);
  // Roles are copied into every event's metadata, whose codec bounds them (schema/metadata.ts).
  if (!Roles.is(roles)) return rejected('roles', Roles.name);
  return { uid: payload.sub, roles: withRoleAliases(roles), expiresAt };
};

export const createVerifier = (config: AuthConfig, now: () => number = Date.now): Verifier => {
  const settings: AuthSettings = {
    requireExp: config.requireExp ?? DEFAULT_AUTH_SETTINGS.requireExp,
    maxLifetimeSec: config.maxLifetimeSec ?? DEFAULT_AUTH_SETTINGS.maxLifetimeSec,
    clockToleranceSec: config.clockToleranceSec ?? DEFAULT_AUTH_SETTINGS.clockToleranceSec,
    ...(config.audience !== undefined ? { audience: config.audience } : {}),
  };
  const keys: { key: KeyObject; algorithms: string[] }[] = [];
  if (config.secret !== undefined)
    keys.push({
      key: createSecretKey(Buffer.from(config.secret)),
      algorithms: config.algorithms.filter((a) => a.startsWith('HS')),
    });
  if (config.publicKey !== undefined)
    keys.push({
      key: createPublicKey(config.publicKey),
      algorithms: config.algorithms.filter((a) => !a.startsWith('HS')),
    });
  // Verified tokens are cached until their own expiry: a busy client reuses one token for
  // thousands of requests, and re-verifying the signature each time is pure waste.
  const cache = new Map<string, Verified>();

  const verifyUncached = async (token: string): Promise<Verified | { error: string }> => {
    let lastError = 'invalid token';
    for (const { key, algorithms } of keys) {
      if (algorithms.length === 0) continue;
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms,
          clockTolerance: settings.clockToleranceSec,
          ...(settings.audience !== undefined ? { audience: [...settings.audience] } : {}),
          currentDate: new Date(now()),
        });
        const verdict = judge(payload, settings, now());
        if ('error' in verdict) return verdict;
        cache.set(token, verdict);
        if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value ?? '');
        return verdict;
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired) return { error: 'token expired' };
        if (e instanceof joseErrors.JWTClaimValidationFailed) return rejected(e.claim, e.reason);
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
        if (hit.expiresAt > now()) return hit;
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
export const isAnalyst = (actor: Actor): boolean => actor.roles.includes('analyst') || isAdmin(actor);
