import * as t from 'io-ts';
import { BoolFromString, IntFromString } from './env-codecs.js';
import type { DispatchChannel } from './triage-events.js';

// Delivery (triage, dispatch, scheduler; delivery/). The urgency table's delays are the
// product defaults (domain/triage/urgency.ts); these settings adjust them for a deployment,
// or compress them for demos and end-to-end tests.
const Scale = t.refinement(
  t.string,
  (s) => /^\d+(\.\d+)?$/.test(s) && Number(s) > 0 && Number(s) <= 1000,
  'a positive number (e.g. 0.001)',
);

const CHANNELS: readonly DispatchChannel[] = ['webpush', 'fcm', 'apns', 'email', 'sms', 'mqtt'];
const MAX_CONCURRENCY = 256;
export type Concurrency = Readonly<Record<DispatchChannel, number>>;
/** Four provider calls in flight per channel: one that hangs leaves three to the rest of its channel. */
export const DEFAULT_DISPATCH_CONCURRENCY: Concurrency = { webpush: 4, fcm: 4, apns: 4, email: 4, sms: 4, mqtt: 4 };

// `4` (every channel), `4,email=2,sms=1` (a default and overrides) or `webpush=8` (the rest
// keep the built-in default): provider calls in flight per channel on one node.
const parseConcurrency = (s: string): Concurrency | string => {
  const out: Record<DispatchChannel, number> = { ...DEFAULT_DISPATCH_CONCURRENCY };
  const n = (v: string): number | undefined => {
    const x = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    return x >= 1 && x <= MAX_CONCURRENCY ? x : undefined;
  };
  const parts = s.split(',').map((p) => p.trim());
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? undefined : part.slice(0, eq);
    const count = n(eq < 0 ? part : part.slice(eq + 1));
    if (count === undefined) return `"${part}": a count must be an integer between 1 and ${MAX_CONCURRENCY}`;
    if (name === undefined) {
      if (i !== 0) return `"${part}": only the first entry may be a bare count (the default)`;
      for (const c of CHANNELS) out[c] = count;
    } else if ((CHANNELS as readonly string[]).includes(name)) out[name as DispatchChannel] = count;
    else return `"${part}": unknown channel (expected ${CHANNELS.join(', ')})`;
  }
  return out;
};

const ConcurrencyFromString = new t.Type<Concurrency, string, unknown>(
  'DispatchConcurrency',
  (u): u is Concurrency => typeof u === 'object' && u !== null,
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, 'expected e.g. 4 or 4,email=2');
    const parsed = parseConcurrency(u);
    return typeof parsed === 'string' ? t.failure(u, c, parsed) : t.success(parsed);
  },
  (a) => CHANNELS.map((ch) => `${ch}=${a[ch]}`).join(','),
);

// MSGXC_THROTTLE_<CHANNEL>=N/s: at most N sends a second on that channel (shared by the delivery processes on one log)
// (delivery/throttle.ts, docs/campaigns.md); N an integer 1..100000.
export const MAX_THROTTLE_PER_SECOND = 100_000;
const RateFromString = (name: string) =>
  new t.Type<number, string, unknown>(
    name,
    (u): u is number => typeof u === 'number',
    (u, c) => {
      const m = typeof u === 'string' ? /^\s*(\d{1,6})\s*\/\s*s\s*$/.exec(u) : null;
      const n = m?.[1] === undefined ? Number.NaN : Number(m[1]);
      return n >= 1 && n <= MAX_THROTTLE_PER_SECOND
        ? t.success(n)
        : t.failure(u, c, `${name}: expected N/s with N an integer 1..${MAX_THROTTLE_PER_SECOND} (e.g. 50/s)`);
    },
    (n) => `${n}/s`,
  );
const THROTTLE_KEYS = {
  MSGXC_THROTTLE_WEBPUSH: 'webpush',
  MSGXC_THROTTLE_FCM: 'fcm',
  MSGXC_THROTTLE_APNS: 'apns',
  MSGXC_THROTTLE_EMAIL: 'email',
  MSGXC_THROTTLE_SMS: 'sms',
  MSGXC_THROTTLE_MQTT: 'mqtt',
} as const satisfies Record<string, DispatchChannel>;
const ThrottleEnv = Object.fromEntries(Object.keys(THROTTLE_KEYS).map((k) => [k, RateFromString(k)])) as Record<
  keyof typeof THROTTLE_KEYS,
  ReturnType<typeof RateFromString>
>;

/** `false`, `true`, or `split`: the folds (triage's and dispatch's followers) on one worker thread, the scheduler and dispatcher on another. */
export type ReactorsThread = boolean | 'split';
const ReactorsThreadFromString = new t.Type<ReactorsThread, string, unknown>(
  'ReactorsThread',
  (u): u is ReactorsThread => typeof u === 'boolean' || u === 'split',
  (u, c) =>
    u === 'split'
      ? t.success('split')
      : BoolFromString.is(u) || typeof u !== 'string' || !['true', 'false', '1', '0'].includes(u)
        ? t.failure(u, c, 'expected true, false or split')
        : BoolFromString.validate(u, c),
  String,
);

export const TriageEnv = t.partial({
  ...ThrottleEnv,
  MSGXC_REACTORS: BoolFromString,
  /** Where an embedded node's delivery reactors run: its main thread (false), a worker thread (true), or two (split). */
  MSGXC_REACTORS_THREAD: ReactorsThreadFromString,
  /** Multiplies every push and nearline delay of the urgency table (1 = as documented). */
  MSGXC_TRIAGE_TIME_SCALE: Scale,
  MSGXC_DIGEST_WINDOW_MS: IntFromString('MSGXC_DIGEST_WINDOW_MS', 1000, 7 * 24 * 3600_000),
  MSGXC_SCHEDULER_POLL_MS: IntFromString('MSGXC_SCHEDULER_POLL_MS', 10, 60_000),
  MSGXC_DISPATCH_CONCURRENCY: ConcurrencyFromString,
  /** How long a dispatcher's claim on a send holds before another reactor process may take it over. */
  MSGXC_DISPATCH_LEASE_MS: IntFromString('MSGXC_DISPATCH_LEASE_MS', 1000, 3_600_000),
  /** How often a reactors node on the JetStream log stores a snapshot of its state (0: never). */
  MSGXC_REACTORS_SNAPSHOT_MS: IntFromString('MSGXC_REACTORS_SNAPSHOT_MS', 0, 7 * 24 * 3600_000),
  MSGXC_RETRY_MAX_ATTEMPTS: IntFromString('MSGXC_RETRY_MAX_ATTEMPTS', 1, 100),
  MSGXC_RETRY_BASE_MS: IntFromString('MSGXC_RETRY_BASE_MS', 10, 600_000),
  MSGXC_RETRY_UNREACHABLE_MAX_MS: IntFromString('MSGXC_RETRY_UNREACHABLE_MAX_MS', 10, 3_600_000),
});

/** Overrides of the delivery retry policy (domain/triage/retry.ts has the defaults and their meaning). */
export interface RetrySettings {
  readonly maxAttempts?: number;
  readonly baseMs?: number;
  readonly unreachableMaxMs?: number;
}

export interface TriageSettings {
  readonly enabled: boolean;
  /**
   * On an embedded node (SQLite log, in-process bus): the reactors run in a worker thread, off
   * the thread serving HTTP and websockets (MSGXC_REACTORS_THREAD, default false: on the 2 shared
   * cores measured so far it made the paced p99 worse, BENCHMARKS.md); `split`: the folds (triage's and dispatch's
   * followers) in one worker thread, the scheduler and dispatcher in another (a broadcast planned on two cores).
   */
  readonly thread: ReactorsThread;
  readonly timeScale: number;
  readonly digestWindowMs?: number;
  readonly pollMs: number;
  /** Provider calls in flight per channel on this node. */
  readonly concurrency: Concurrency;
  /** Claim lease of a send (MSGXC_DISPATCH_LEASE_MS); absent: delivery's default (120 s). */
  readonly leaseMs?: number;
  readonly retry: RetrySettings;
  /**
   * How often a node running the reactors on the JetStream log stores a snapshot of delivery's
   * state where a new such node restores it (MSGXC_REACTORS_SNAPSHOT_MS, default 10 minutes; 0: never; app/reactors-snapshots.ts).
   */
  readonly snapshotMs: number;
  /** Sends per second per channel never exceeded (by the delivery processes on one log together); a channel left out is not throttled. */
  readonly throttle: Partial<Readonly<Record<DispatchChannel, { readonly perSecond: number }>>>;
}

export const triageSettings = (e: t.TypeOf<typeof TriageEnv>): TriageSettings => ({
  enabled: e.MSGXC_REACTORS ?? true,
  thread: e.MSGXC_REACTORS_THREAD ?? false,
  timeScale: e.MSGXC_TRIAGE_TIME_SCALE === undefined ? 1 : Number(e.MSGXC_TRIAGE_TIME_SCALE),
  ...(e.MSGXC_DIGEST_WINDOW_MS !== undefined ? { digestWindowMs: e.MSGXC_DIGEST_WINDOW_MS } : {}),
  pollMs: e.MSGXC_SCHEDULER_POLL_MS ?? 1000,
  concurrency: e.MSGXC_DISPATCH_CONCURRENCY ?? DEFAULT_DISPATCH_CONCURRENCY,
  ...(e.MSGXC_DISPATCH_LEASE_MS !== undefined ? { leaseMs: e.MSGXC_DISPATCH_LEASE_MS } : {}),
  snapshotMs: e.MSGXC_REACTORS_SNAPSHOT_MS ?? 600_000,
  throttle: Object.fromEntries(
    Object.entries(THROTTLE_KEYS).flatMap(([key, channel]) => {
      const n = e[key as keyof typeof THROTTLE_KEYS];
      return n === undefined ? [] : [[channel, { perSecond: n }]];
    }),
  ),
  retry: {
    ...(e.MSGXC_RETRY_MAX_ATTEMPTS !== undefined ? { maxAttempts: e.MSGXC_RETRY_MAX_ATTEMPTS } : {}),
    ...(e.MSGXC_RETRY_BASE_MS !== undefined ? { baseMs: e.MSGXC_RETRY_BASE_MS } : {}),
    ...(e.MSGXC_RETRY_UNREACHABLE_MAX_MS !== undefined ? { unreachableMaxMs: e.MSGXC_RETRY_UNREACHABLE_MAX_MS } : {}),
  },
});
