import type { Rate, RateLimits } from '../schema/config-limits.js';
import type { Actor } from '../schema/metadata.js';
import { isAdmin } from './auth.js';
import { allocateSharedBuckets, type SharedBucketMemory, sharedBucketTable } from './shared-buckets.js';

// Token buckets per user and per client address (docs/limits.md). A bucket holds at most
// `burst` tokens and refills continuously at `perSec`; a request takes one token, and a
// bucket without a whole token refuses with the time until it has one.
//
// Memory is bounded whatever callers send: each kind of limit keeps its buckets in two
// generations of at most half the table size each. A bucket used in the young generation
// stays there; one found in the old generation moves up; when the young one is full it
// becomes the old one and the old one is dropped. So at most `tableSize` buckets exist per
// kind, and a key is forgotten only after tableSize/2 other keys were used since its last
// request. Forgetting a bucket gives its owner a full one again, which is what a bucket idle
// that long (at the default sizes, long enough to refill) would hold anyway. Each kind has
// its own table, so addresses churned by an attacker cannot push users' buckets out.
//
// The limiter itself keeps its buckets in shared memory (./shared-buckets.ts, the same rules
// for forgetting): a node's HTTP threads all spend from one table per kind, so the budgets are
// per node whatever MSGXC_HTTP_THREADS is. The Map table stays as the reference the shared one
// is tested and measured against.
export type LimitName = 'user-writes' | 'user-reads' | 'ip' | 'admin';

export interface Refusal {
  readonly limit: LimitName;
  readonly setting: string;
  readonly rate: Rate;
  /** Whole seconds until the bucket holds a token again (at least 1). */
  readonly retryAfterSec: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface BucketTable {
  /** Takes a token; answers 0, or the milliseconds until a token is there (nothing taken). */
  take(key: string, now: number): number;
  /** Like take, without taking and without creating a bucket (a key not held has a full one). */
  peek(key: string, now: number): number;
  size(): number;
}

export const createBucketTable = (rate: Rate, tableSize: number): BucketTable => {
  const half = Math.max(1, Math.floor(tableSize / 2));
  let young = new Map<string, Bucket>();
  let old = new Map<string, Bucket>();
  const perMs = rate.perSec / 1000;
  const keep = (key: string, b: Bucket): void => {
    if (young.size >= half) {
      old = young;
      young = new Map();
    }
    young.set(key, b);
  };
  const find = (key: string): Bucket | undefined => {
    const b = young.get(key);
    if (b !== undefined) return b;
    const aged = old.get(key);
    if (aged === undefined) return undefined;
    old.delete(key);
    keep(key, aged);
    return aged;
  };
  const refill = (b: Bucket, now: number): void => {
    if (now > b.at) {
      b.tokens = Math.min(rate.burst, b.tokens + (now - b.at) * perMs);
      b.at = now;
    }
  };
  const wait = (b: Bucket): number => (b.tokens >= 1 ? 0 : Math.max(1, (1 - b.tokens) / perMs));
  return {
    take: (key, now) => {
      let b = find(key);
      if (b === undefined) {
        b = { tokens: rate.burst, at: now };
        keep(key, b);
      } else refill(b, now);
      const ms = wait(b);
      if (ms === 0) b.tokens -= 1;
      return ms;
    },
    peek: (key, now) => {
      const b = young.get(key) ?? old.get(key);
      if (b === undefined) return 0;
      refill(b, now);
      return wait(b);
    },
    size: () => young.size + old.size,
  };
};

export interface RateLimiter {
  /** An authenticated request or command frame: `write` for commands, `read` for reads. */
  caller(actor: Actor, kind: 'write' | 'read', now: number): Refusal | undefined;
  /** Before a token from `address` is verified: refused while its failures have used up the budget. */
  addressBlocked(address: string, now: number): Refusal | undefined;
  /** A request or upgrade from `address` failed authentication. */
  addressFailed(address: string, now: number): void;
  /** Buckets held, every kind together (a metric). */
  size(): number;
  /** The buckets' memory, for the node's other HTTP threads to share (createRateLimiter's `memory`). */
  readonly memory: RateMemory;
}

/** One shared table per kind of limit that is on. */
export type RateMemory = Partial<Record<LimitName, SharedBucketMemory>>;

export const allocateRateMemory = (settings: RateLimits): RateMemory => {
  const memory: RateMemory = {};
  const rates: Record<LimitName, Rate | 'off'> = {
    'user-writes': settings.userWrites,
    'user-reads': settings.userReads,
    admin: settings.admin,
    ip: settings.ip,
  };
  for (const name of Object.keys(rates) as LimitName[])
    if (rates[name] !== 'off') memory[name] = allocateSharedBuckets(settings.tableSize);
  return memory;
};

const SETTINGS: Record<LimitName, string> = {
  'user-writes': 'MSGXC_RATE_USER_WRITES',
  'user-reads': 'MSGXC_RATE_USER_READS',
  ip: 'MSGXC_RATE_IP',
  admin: 'MSGXC_RATE_ADMIN',
};

interface Limit {
  readonly name: LimitName;
  readonly rate: Rate;
  readonly table: BucketTable;
}

/** `memory`: another thread's limiter's (RateLimiter.memory), to spend from the same buckets. */
export const createRateLimiter = (settings: RateLimits, memory = allocateRateMemory(settings)): RateLimiter => {
  const limit = (name: LimitName, rate: Rate | 'off'): Limit | undefined => {
    const shared = memory[name];
    if (rate === 'off') return undefined;
    if (shared === undefined) throw new Error(`no shared memory for the ${name} rate limit`);
    return { name, rate, table: sharedBucketTable(rate, shared) };
  };
  const writes = limit('user-writes', settings.userWrites);
  const reads = limit('user-reads', settings.userReads);
  const admins = limit('admin', settings.admin);
  const ips = limit('ip', settings.ip);
  const refusal = (l: Limit, ms: number): Refusal | undefined =>
    ms === 0
      ? undefined
      : { limit: l.name, setting: SETTINGS[l.name], rate: l.rate, retryAfterSec: Math.ceil(ms / 1000) };
  return {
    caller: (actor, kind, now) => {
      // Admins are the services that send on everyone's behalf: exempt unless MSGXC_RATE_ADMIN is set.
      const l = isAdmin(actor) ? admins : kind === 'write' ? writes : reads;
      return l === undefined ? undefined : refusal(l, l.table.take(actor.uid, now));
    },
    addressBlocked: (address, now) => (ips === undefined ? undefined : refusal(ips, ips.table.peek(address, now))),
    addressFailed: (address, now) => {
      ips?.table.take(address, now);
    },
    size: () => [writes, reads, admins, ips].reduce((n, l) => n + (l?.table.size() ?? 0), 0),
    memory,
  };
};
