import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { describeErrors } from './errors.js';

// One codec validates the whole environment at start-up, so a typo is a clear error at
// boot rather than a surprise at the first request.
const IntFromString = (name: string, min: number, max: number) => new t.Type<number, string, unknown>(
  name,
  (u): u is number => typeof u === 'number',
  (u, c) => {
    if (typeof u !== 'string' || !/^\d+$/.test(u)) return t.failure(u, c, `expected an integer between ${min} and ${max}`);
    const n = Number(u);
    return n >= min && n <= max ? t.success(n) : t.failure(u, c, `expected an integer between ${min} and ${max}`);
  },
  String,
);
const BoolFromString = new t.Type<boolean, string, unknown>(
  'Bool', (u): u is boolean => typeof u === 'boolean',
  (u, c) => (u === 'true' || u === '1' ? t.success(true) : u === 'false' || u === '0' ? t.success(false) : t.failure(u, c, 'expected true or false')),
  String,
);
const NonEmpty = t.refinement(t.string, (s) => s.trim().length > 0, 'NonEmptyString');
const EventStoreUrl = t.refinement(t.string, (s) => s === 'embedded' || s === 'memory' || /^(esdb|esdb\+discover|kurrentdb|nats):\/\//.test(s), 'embedded | memory | esdb://... | nats://...');
const LogLevel = t.union([t.literal('trace'), t.literal('debug'), t.literal('info'), t.literal('warn'), t.literal('error'), t.literal('silent')]);
const Mode = t.union([t.literal('development'), t.literal('production')]);

export const EnvConfig = t.partial({
  MSGXC_PORT: IntFromString('MSGXC_PORT', 0, 65535),
  MSGXC_HOST: NonEmpty,
  MSGXC_DATA_DIR: NonEmpty,
  MSGXC_MODE: Mode,
  MSGXC_JWT_SECRET: t.refinement(t.string, (s) => s.length >= 32, 'at least 32 characters'),
  MSGXC_JWT_PUBLIC_KEY: NonEmpty,
  MSGXC_JWT_ALGORITHMS: t.refinement(t.string, (s) => s.split(',').every((a) => /^(HS256|HS384|HS512|RS256|RS384|RS512|ES256|ES384|PS256)$/.test(a.trim())), 'comma-separated JWT algorithms'),
  MSGXC_EVENTSTORE: EventStoreUrl,
  MSGXC_BODY_LIMIT: IntFromString('MSGXC_BODY_LIMIT', 1024, 16 * 1024 * 1024),
  MSGXC_LOG_LEVEL: LogLevel,
  MSGXC_ALLOW_UWS_FALLBACK: BoolFromString,
});
export type EnvConfig = t.TypeOf<typeof EnvConfig>;

export interface Config {
  readonly mode: 'development' | 'production';
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly jwtSecret?: string;
  readonly jwtPublicKey?: string;
  readonly jwtAlgorithms: readonly string[];
  readonly eventStore: string;
  readonly bodyLimit: number;
  readonly logLevel: t.TypeOf<typeof LogLevel>;
  readonly allowUwsFallback: boolean;
}

/** Decodes the environment; `Left` carries one message per bad variable, naming it. */
export const configFromEnv = (env: Record<string, string | undefined>): E.Either<string[], Config> => {
  const relevant = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('MSGXC_') && v !== undefined && v !== ''));
  const decoded = EnvConfig.decode(relevant);
  if (E.isLeft(decoded)) return E.left(describeErrors(decoded.left));
  const c = decoded.right;
  const mode = c.MSGXC_MODE ?? (c.MSGXC_JWT_SECRET === undefined && c.MSGXC_JWT_PUBLIC_KEY === undefined ? 'development' : 'production');
  if (mode === 'production' && c.MSGXC_JWT_SECRET === undefined && c.MSGXC_JWT_PUBLIC_KEY === undefined) {
    return E.left(['MSGXC_JWT_SECRET or MSGXC_JWT_PUBLIC_KEY: required in production mode (MSGXC_MODE=production)']);
  }
  const algorithms = c.MSGXC_JWT_ALGORITHMS?.split(',').map((a) => a.trim())
    ?? (c.MSGXC_JWT_PUBLIC_KEY !== undefined ? ['RS256', 'ES256'] : ['HS256']);
  return E.right({
    mode,
    port: c.MSGXC_PORT ?? 8080,
    host: c.MSGXC_HOST ?? '127.0.0.1',
    dataDir: c.MSGXC_DATA_DIR ?? './data',
    ...(c.MSGXC_JWT_SECRET !== undefined ? { jwtSecret: c.MSGXC_JWT_SECRET } : {}),
    ...(c.MSGXC_JWT_PUBLIC_KEY !== undefined ? { jwtPublicKey: c.MSGXC_JWT_PUBLIC_KEY } : {}),
    jwtAlgorithms: algorithms,
    eventStore: c.MSGXC_EVENTSTORE ?? 'embedded',
    bodyLimit: c.MSGXC_BODY_LIMIT ?? 64 * 1024,
    logLevel: c.MSGXC_LOG_LEVEL ?? 'info',
    allowUwsFallback: c.MSGXC_ALLOW_UWS_FALLBACK ?? false,
  });
};
