import { isIP } from 'node:net';
import * as t from 'io-ts';
import { IntFromString } from './env-codecs.js';

// Rate limits and load shedding (api/rate-limits.ts, api/shedding.ts; docs/limits.md).
//
// A rate is `<per second>` or `<per second>:<burst>` (a token bucket refilled continuously at
// the rate, holding at most the burst; the burst defaults to twice the rate), or `off`.
//   MSGXC_RATE_USER_WRITES  commands per user: HTTP requests other than GET, command frames
//   MSGXC_RATE_USER_READS   reads per user: HTTP GETs, history/unseen frames
//   MSGXC_RATE_IP           per client address: requests and upgrades that fail authentication
//   MSGXC_RATE_ADMIN        callers with the admin role, every request (default off: exempt)
// Past a bound, new commands answer 503 with Retry-After; reads are still served:
//   MSGXC_SHED_QUEUE        writes in flight on the node (commands being handled, or appends
//                           waiting for the log), whichever is higher
//   MSGXC_SHED_LAG_MS       event-loop delay (median over the last second)
export interface Rate {
  readonly perSec: number;
  readonly burst: number;
}

export const RateFromString = (name: string) =>
  new t.Type<Rate | 'off', string, unknown>(
    name,
    (u): u is Rate | 'off' => u === 'off' || (typeof u === 'object' && u !== null && 'perSec' in u),
    (u, c) => {
      const fail = t.failure<Rate | 'off'>(
        u,
        c,
        'expected `off`, `<per second>` or `<per second>:<burst>` (rate 0.001..1000000, burst 1..10000000)',
      );
      if (u === 'off') return t.success('off');
      const m = typeof u === 'string' ? /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(u.trim()) : null;
      if (m === null) return fail;
      const perSec = Number(m[1]);
      const burst = m[2] === undefined ? Math.max(1, Math.ceil(perSec * 2)) : Number(m[2]);
      if (!(perSec >= 0.001 && perSec <= 1_000_000) || !(burst >= 1 && burst <= 10_000_000)) return fail;
      return t.success({ perSec, burst });
    },
    (r) => (r === 'off' ? 'off' : `${r.perSec}:${r.burst}`),
  );

/** Addresses and CIDR blocks, IPv4 or IPv6, comma-separated. */
const ProxyList = t.refinement(
  t.string,
  (s) =>
    s.split(',').every((p) => {
      const [addr = '', bits, extra] = p.trim().split('/');
      const family = isIP(addr);
      if (family === 0 || extra !== undefined) return false;
      if (bits === undefined) return true;
      return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
    }),
  'comma-separated IP addresses or CIDR blocks (10.0.0.0/8, fd00::/8)',
);

export const LimitsEnv = t.partial({
  MSGXC_RATE_USER_WRITES: RateFromString('MSGXC_RATE_USER_WRITES'),
  MSGXC_RATE_USER_READS: RateFromString('MSGXC_RATE_USER_READS'),
  MSGXC_RATE_IP: RateFromString('MSGXC_RATE_IP'),
  MSGXC_RATE_ADMIN: RateFromString('MSGXC_RATE_ADMIN'),
  MSGXC_RATE_TABLE_SIZE: IntFromString('MSGXC_RATE_TABLE_SIZE', 100, 10_000_000),
  MSGXC_TRUSTED_PROXIES: ProxyList,
  MSGXC_SHED_QUEUE: IntFromString('MSGXC_SHED_QUEUE', 1, 1_000_000),
  MSGXC_SHED_LAG_MS: IntFromString('MSGXC_SHED_LAG_MS', 10, 600_000),
});

export interface RateLimits {
  readonly userWrites: Rate | 'off';
  readonly userReads: Rate | 'off';
  readonly ip: Rate | 'off';
  readonly admin: Rate | 'off';
  /** Buckets kept per kind of limit; the least recently used beyond it are forgotten. */
  readonly tableSize: number;
  /** Peers whose X-Forwarded-For names the client (a load balancer); empty: the peer is the client. */
  readonly trustedProxies: readonly string[];
}

export interface SheddingLimits {
  readonly maxWritesInFlight: number;
  readonly maxLagMs: number;
}

export interface LimitSettings {
  readonly rates: RateLimits;
  readonly shedding: SheddingLimits;
}

// Far above what a person or a well-behaved client does, and far below what one caller
// would need to hurt a node (docs/limits.md explains each figure).
export const DEFAULT_LIMITS: LimitSettings = {
  rates: {
    userWrites: { perSec: 100, burst: 200 },
    userReads: { perSec: 200, burst: 400 },
    ip: { perSec: 100, burst: 500 },
    admin: 'off',
    tableSize: 100_000,
    trustedProxies: [],
  },
  shedding: { maxWritesInFlight: 1000, maxLagMs: 500 },
};

export const limitSettings = (e: t.TypeOf<typeof LimitsEnv>): LimitSettings => ({
  rates: {
    userWrites: e.MSGXC_RATE_USER_WRITES ?? DEFAULT_LIMITS.rates.userWrites,
    userReads: e.MSGXC_RATE_USER_READS ?? DEFAULT_LIMITS.rates.userReads,
    ip: e.MSGXC_RATE_IP ?? DEFAULT_LIMITS.rates.ip,
    admin: e.MSGXC_RATE_ADMIN ?? DEFAULT_LIMITS.rates.admin,
    tableSize: e.MSGXC_RATE_TABLE_SIZE ?? DEFAULT_LIMITS.rates.tableSize,
    trustedProxies: e.MSGXC_TRUSTED_PROXIES?.split(',').map((p) => p.trim()) ?? [],
  },
  shedding: {
    maxWritesInFlight: e.MSGXC_SHED_QUEUE ?? DEFAULT_LIMITS.shedding.maxWritesInFlight,
    maxLagMs: e.MSGXC_SHED_LAG_MS ?? DEFAULT_LIMITS.shedding.maxLagMs,
  },
});
