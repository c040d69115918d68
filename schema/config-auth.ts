import * as t from 'io-ts';
import { BoolFromString, IntFromString } from './env-codecs.js';

// Token rules (api/auth.ts). A token without `exp` would never expire, so `exp` is required
// unless the deployment says otherwise; then such a token lives MSGXC_JWT_MAX_LIFETIME
// seconds counted from its `iat` (which it must carry). An `iat` in the future beyond the
// clock tolerance is refused either way.
export const AuthEnv = t.partial({
  MSGXC_JWT_REQUIRE_EXP: BoolFromString,
  MSGXC_JWT_MAX_LIFETIME: IntFromString('MSGXC_JWT_MAX_LIFETIME', 60, 366 * 24 * 3600),
  MSGXC_JWT_CLOCK_TOLERANCE: IntFromString('MSGXC_JWT_CLOCK_TOLERANCE', 0, 300),
});

export interface AuthSettings {
  readonly requireExp: boolean;
  /** Lifetime of a token without `exp`, from its `iat` (only when requireExp is false). */
  readonly maxLifetimeSec: number;
  readonly clockToleranceSec: number;
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
});
