import * as t from 'io-ts';
import { BoolFromString, IntFromString } from './env-codecs.js';

// Token rules (api/auth.ts). A token without `exp` would never expire, so `exp` is required
// unless the deployment says otherwise; then such a token lives MSGXC_JWT_MAX_LIFETIME
// seconds counted from its `iat` (which it must carry). An `iat` in the future beyond the
// clock tolerance is refused either way.
//
// A token names who it is for in `aud`; one for another service, signed by the same issuer
// (an identity provider's key serves many APIs), is not one for this broker (RFC 7519,
// 4.1.3). Without MSGXC_JWT_AUDIENCE a token that names any audience is refused; with it, a
// token must name one of the listed audiences.
const Audience = new t.Type<readonly string[], string, unknown>(
  'MSGXC_JWT_AUDIENCE (comma-separated audiences, each 1..256 characters)',
  (u): u is readonly string[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const list = u.split(',').map((a) => a.trim());
    return list.length <= 32 && list.every((a) => a.length >= 1 && a.length <= 256) ? t.success(list) : t.failure(u, c);
  },
  (a) => a.join(','),
);

export const AuthEnv = t.partial({
  MSGXC_JWT_AUDIENCE: Audience,
  MSGXC_JWT_REQUIRE_EXP: BoolFromString,
  MSGXC_JWT_MAX_LIFETIME: IntFromString('MSGXC_JWT_MAX_LIFETIME', 60, 366 * 24 * 3600),
  MSGXC_JWT_CLOCK_TOLERANCE: IntFromString('MSGXC_JWT_CLOCK_TOLERANCE', 0, 300),
});

export interface AuthSettings {
  readonly requireExp: boolean;
  /** Lifetime of a token without `exp`, from its `iat` (only when requireExp is false). */
  readonly maxLifetimeSec: number;
  readonly clockToleranceSec: number;
  /** The audiences a token must name one of (`aud`); unset: a token naming any is refused. */
  readonly audience?: readonly string[];
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  requireExp: true,
  maxLifetimeSec: 24 * 3600,
  clockToleranceSec: 5,
};

export const authSettings = (e: t.TypeOf<typeof AuthEnv>): AuthSettings => ({
  requireExp: e.MSGXC_JWT_REQUIRE_EXP ?? DEFAULT_AUTH_SETTINGS.requireExp,
  maxLifetimeSec: e.MSGXC_JWT_MAX_LIFETIME ?? DEFAULT_AUTH_SETTINGS.maxLifetimeSec,
  clockToleranceSec: e.MSGXC_JWT_CLOCK_TOLERANCE ?? DEFAULT_AUTH_SETTINGS.clockToleranceSec,
  ...(e.MSGXC_JWT_AUDIENCE !== undefined ? { audience: e.MSGXC_JWT_AUDIENCE } : {}),
});
