import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { hostname } from 'node:os';
import { describeErrors } from './errors.js';
import { BoolFromString, IntFromString, NonEmpty } from './env-codecs.js';
import { engineConfig, EngineEnv, type EngineConfig } from './config-engines.js';
import { TriageEnv, triageSettings, type TriageSettings } from './config-triage.js';
import { JSON_MAX_DEPTH_CEILING } from './json.js';
import { AuthEnv, authSettings, type AuthSettings } from './config-auth.js';
import { LimitsEnv, limitSettings, type LimitSettings } from './config-limits.js';
import { CompatEnv, compatSettings, type CompatSettings } from './config-compat.js';
import type { ChannelConfig } from './channels.js';
import { loadChannelConfig, readTextFile, type ReadText } from './config-channels.js';

// One codec validates the whole environment at start-up, so a typo is a clear error at
// boot rather than a surprise at the first request.
const EventStoreUrl = t.refinement(
  t.string,
  (s) => s === 'embedded' || s === 'memory' || /^(esdb|kurrentdb)(\+discover)?:\/\/|^nats:\/\//.test(s),
  'embedded | memory | esdb://... | nats://...',
);
const LogLevel = t.union([
  t.literal('trace'),
  t.literal('debug'),
  t.literal('info'),
  t.literal('warn'),
  t.literal('error'),
  t.literal('silent'),
]);
const Mode = t.union([t.literal('development'), t.literal('production')]);
// Which part of the broker this process runs (docs/production.md "Node roles"): everything,
// the HTTP/websocket API without delivery, or the delivery process managers without the API.
const Role = t.keyof({ all: null, api: null, reactors: null }, 'all | api | reactors');
export type NodeRole = t.TypeOf<typeof Role>;
/** A log every node of a deployment follows (JetStream, EventStoreDB); the embedded one is a single node's. */
export const isSharedLog = (url: string): boolean => /^(nats|esdb|kurrentdb)(\+discover)?:\/\//.test(url);
const BusKind = t.union([t.literal('inprocess'), t.literal('nats')], 'inprocess | nats');
const NatsUrls = t.refinement(
  t.string,
  (s) => s.split(',').every((u) => /^(nats|tls|wss?):\/\/[^\s,]+$/.test(u.trim())),
  'comma-separated nats://host:port URLs',
);
const NodeId = t.refinement(t.string, (s) => /^[A-Za-z0-9_-]{1,64}$/.test(s), '1..64 characters of A-Z a-z 0-9 _ -');
// One NATS subject token: no '.', wildcards or spaces.
const SubjectPrefix = t.refinement(
  t.string,
  (s) => /^[A-Za-z0-9_-]{1,64}$/.test(s),
  '1..64 characters of A-Z a-z 0-9 _ - (one NATS subject token)',
);

export const EnvConfig = t.partial({
  MSGXC_PORT: IntFromString('MSGXC_PORT', 0, 65535),
  MSGXC_HOST: NonEmpty,
  MSGXC_DATA_DIR: NonEmpty,
  MSGXC_MODE: Mode,
  MSGXC_ROLE: Role,
  MSGXC_JWT_SECRET: t.refinement(t.string, (s) => s.length >= 32, 'at least 32 characters'),
  MSGXC_JWT_PUBLIC_KEY: NonEmpty,
  MSGXC_JWT_ALGORITHMS: t.refinement(
    t.string,
    (s) => s.split(',').every((a) => /^(HS256|HS384|HS512|RS256|RS384|RS512|ES256|ES384|PS256)$/.test(a.trim())),
    'comma-separated JWT algorithms',
  ),
  MSGXC_EVENTSTORE: EventStoreUrl,
  MSGXC_BODY_LIMIT: IntFromString('MSGXC_BODY_LIMIT', 1024, 16 * 1024 * 1024),
  // At least 4: every request body and frame the API defines fits (opts.data is the deepest).
  MSGXC_JSON_MAX_DEPTH: IntFromString('MSGXC_JSON_MAX_DEPTH', 4, JSON_MAX_DEPTH_CEILING),
  MSGXC_LOG_LEVEL: LogLevel,
  MSGXC_ALLOW_UWS_FALLBACK: BoolFromString,
  MSGXC_EMBEDDED_WRITER: t.union([t.literal('thread'), t.literal('inline')]),
  MSGXC_TRACE_LATENCY: BoolFromString,
  MSGXC_HTTP_THREADS: IntFromString('MSGXC_HTTP_THREADS', 1, 64),
  MSGXC_BUS: BusKind,
  MSGXC_NATS_URL: NatsUrls,
  MSGXC_BUS_PREFIX: SubjectPrefix,
  MSGXC_NODE_ID: NodeId,
  MSGXC_WS_MAX_FRAMES_PER_SEC: IntFromString('MSGXC_WS_MAX_FRAMES_PER_SEC', 1, 100_000),
  MSGXC_WS_MAX_BYTES_PER_SEC: IntFromString('MSGXC_WS_MAX_BYTES_PER_SEC', 1024, 1 << 30),
  MSGXC_WS_MAX_PAYLOAD: IntFromString('MSGXC_WS_MAX_PAYLOAD', 1024, 16 * 1024 * 1024),
  MSGXC_WS_MAX_BACKPRESSURE: IntFromString('MSGXC_WS_MAX_BACKPRESSURE', 16 * 1024, 1 << 30),
  MSGXC_WS_IDLE_TIMEOUT: IntFromString('MSGXC_WS_IDLE_TIMEOUT', 8, 960),
  MSGXC_WS_MAX_SESSIONS_PER_USER: IntFromString('MSGXC_WS_MAX_SESSIONS_PER_USER', 1, 100_000),
  MSGXC_PRESENCE_HEARTBEAT_MS: IntFromString('MSGXC_PRESENCE_HEARTBEAT_MS', 100, 600_000),
  MSGXC_CHECKIN_INTERVAL_MS: IntFromString('MSGXC_CHECKIN_INTERVAL_MS', 100, 3_600_000),
  MSGXC_IDEMPOTENCY_TTL: IntFromString('MSGXC_IDEMPOTENCY_TTL', 60, 30 * 24 * 3600),
});
export type EnvConfig = t.TypeOf<typeof EnvConfig>;

export interface Config {
  readonly mode: 'development' | 'production';
  /** MSGXC_ROLE (or `msgxc reactors`): `all` (default), `api` (no delivery reactors) or `reactors` (no HTTP API). */
  readonly role: NodeRole;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly jwtSecret?: string;
  readonly jwtPublicKey?: string;
  readonly jwtAlgorithms: readonly string[];
  readonly eventStore: string;
  readonly bodyLimit: number;
  /** Deepest nesting of JSON accepted in request bodies and websocket frames (checked before parsing). */
  readonly jsonMaxDepth: number;
  readonly logLevel: t.TypeOf<typeof LogLevel>;
  readonly allowUwsFallback: boolean;
  /** Embedded log: commit on the event loop (`inline`, the default) or in a writer thread. */
  readonly embeddedWriter: 'thread' | 'inline';
  /**
   * Threads serving HTTP and websockets on the one port (MSGXC_HTTP_THREADS, default 1): the
   * main thread and N-1 workers (app/http-threads/); the log's writer, the followers and the
   * reactors stay with the main thread. Above 1 only with the embedded log and in-process bus.
   */
  readonly httpThreads: number;
  /** Prints each message's way through the node, stage by stage (app/trace.ts; a debug aid, off by default). */
  readonly traceLatency: boolean;
  readonly bus: 'inprocess' | 'nats';
  readonly natsUrl?: string;
  /** First token of every bus subject (MSGXC_BUS_PREFIX, default `msgxc`): brokers that share a NATS but not a system differ here. */
  readonly busPrefix: string;
  /** This process's name on the bus and in check-in events; unique per running node. */
  readonly nodeId: string;
  /** MSGXC_NODE_ID, else the host name: the same across restarts, so delivery claims of a crashed run are retaken at once. */
  readonly stableNodeId: string;
  readonly ws: WsLimits;
  /** Production engines, each chosen by one setting (schema/config-engines.ts). */
  readonly engines: EngineConfig;
  /** Delivery reactors (schema/config-triage.ts). */
  readonly triage: TriageSettings;
  /** Token rules beyond signature and algorithm (schema/config-auth.ts). */
  readonly auth: AuthSettings;
  /** Delivery providers and their settings (schema/config-channels.ts): a provider without credentials records to the outbox. */
  readonly channels: ChannelConfig;
  /** Rate limits and load shedding (schema/config-limits.ts). */
  readonly limits: LimitSettings;
  /** Seconds an Idempotency-Key holds its first answer (MSGXC_IDEMPOTENCY_TTL, default 24 h). */
  readonly idempotencyTtlSec: number;
  /** CORS and push receipt tokens (schema/config-compat.ts). */
  readonly compat: CompatSettings;
}

/** Websocket session limits (see api/ws/): flood control, backpressure, liveness. */
export interface WsLimits {
  readonly maxFramesPerSec: number;
  readonly maxBytesPerSec: number;
  readonly maxPayload: number;
  readonly maxBackpressure: number;
  readonly idleTimeoutSec: number;
  readonly maxSessionsPerUser: number;
  readonly presenceHeartbeatMs: number;
  readonly checkinIntervalMs: number;
}

// A split deployment (an API node here, a reactors node there) works only when every process
// follows the same log and hears the same presence: the reactors ask who is online over the bus.
const roleConflict = (
  role: NodeRole,
  eventStore: string,
  bus: string,
  triage: t.TypeOf<typeof TriageEnv>,
): string | undefined => {
  if (role === 'all') return undefined;
  if (!isSharedLog(eventStore))
    return `MSGXC_ROLE=${role}: needs a log every node shares (MSGXC_EVENTSTORE=nats://... or esdb://...), not "${eventStore}"`;
  if (bus !== 'nats')
    return `MSGXC_ROLE=${role}: needs MSGXC_BUS=nats (the reactors learn who is online from the API nodes' presence on the bus)`;
  if (role === 'reactors' && triage.MSGXC_REACTORS === false)
    return 'MSGXC_REACTORS=false: contradicts MSGXC_ROLE=reactors (a reactors node runs nothing else)';
  return undefined;
};

export const defaultNodeId = (): string =>
  `${hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 40)}-${process.pid}`;

/**
 * Decodes the environment, the channel providers' included (and the files their variables
 * name, read with `readText`); `Left` carries one message per bad variable, naming it.
 */
export const configFromEnv = (
  env: Record<string, string | undefined>,
  readText: ReadText = readTextFile,
): E.Either<string[], Config> => {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('MSGXC_') && v !== undefined && v !== ''),
  );
  const decoded = EnvConfig.decode(relevant);
  const engines = EngineEnv.decode(relevant);
  const triage = TriageEnv.decode(relevant);
  const auth = AuthEnv.decode(relevant);
  const limits = LimitsEnv.decode(relevant);
  const compat = CompatEnv.decode(relevant);
  const channels = loadChannelConfig(relevant, readText);
  const problems = [
    ...[decoded, engines, triage, auth, limits, compat].flatMap((d) => (E.isLeft(d) ? describeErrors(d.left) : [])),
    ...(E.isLeft(channels) ? channels.left : []),
  ];
  if (
    E.isLeft(decoded) ||
    E.isLeft(engines) ||
    E.isLeft(triage) ||
    E.isLeft(auth) ||
    E.isLeft(limits) ||
    E.isLeft(compat) ||
    E.isLeft(channels)
  )
    return E.left(problems);
  const c = decoded.right;
  const mode =
    c.MSGXC_MODE ??
    (c.MSGXC_JWT_SECRET === undefined && c.MSGXC_JWT_PUBLIC_KEY === undefined ? 'development' : 'production');
  if (mode === 'production' && c.MSGXC_JWT_SECRET === undefined && c.MSGXC_JWT_PUBLIC_KEY === undefined) {
    return E.left(['MSGXC_JWT_SECRET or MSGXC_JWT_PUBLIC_KEY: required in production mode (MSGXC_MODE=production)']);
  }
  if (c.MSGXC_BUS === 'nats' && c.MSGXC_NATS_URL === undefined)
    return E.left(['MSGXC_NATS_URL: required when MSGXC_BUS=nats']);
  const role = c.MSGXC_ROLE ?? 'all';
  // The workers append through the embedded log's one writer and join the in-process bus
  // (app/http-threads/); on the production stack more API nodes do the same job.
  const embeddedOnly =
    (c.MSGXC_EVENTSTORE ?? 'embedded') === 'embedded' &&
    c.MSGXC_BUS !== 'nats' &&
    engines.right.MSGXC_CASSANDRA_CONTACT_POINTS === undefined &&
    engines.right.MSGXC_ELASTIC_URL === undefined;
  if ((c.MSGXC_HTTP_THREADS ?? 1) > 1 && !embeddedOnly)
    return E.left([
      'MSGXC_HTTP_THREADS: above 1 only on the embedded stack (SQLite log, read models and search, in-process bus); on the production stack run more API nodes',
    ]);
  const roleProblem = roleConflict(role, c.MSGXC_EVENTSTORE ?? 'embedded', c.MSGXC_BUS ?? 'inprocess', triage.right);
  if (roleProblem !== undefined) return E.left([roleProblem]);
  // Each family is verified with its own key only (HS* with the secret, RS*/ES* with the
  // public key: api/auth.ts), so accepting both when both keys are given is safe.
  const defaultAlgorithms = [
    ...(c.MSGXC_JWT_SECRET !== undefined || c.MSGXC_JWT_PUBLIC_KEY === undefined ? ['HS256'] : []),
    ...(c.MSGXC_JWT_PUBLIC_KEY !== undefined ? ['RS256', 'ES256'] : []),
  ];
  const algorithms = c.MSGXC_JWT_ALGORITHMS?.split(',').map((a) => a.trim()) ?? defaultAlgorithms;
  const delivery = triageSettings(triage.right);
  return E.right({
    mode,
    role,
    port: c.MSGXC_PORT ?? 8080,
    host: c.MSGXC_HOST ?? '127.0.0.1',
    dataDir: c.MSGXC_DATA_DIR ?? './data',
    ...(c.MSGXC_JWT_SECRET !== undefined ? { jwtSecret: c.MSGXC_JWT_SECRET } : {}),
    ...(c.MSGXC_JWT_PUBLIC_KEY !== undefined ? { jwtPublicKey: c.MSGXC_JWT_PUBLIC_KEY } : {}),
    jwtAlgorithms: algorithms,
    eventStore: c.MSGXC_EVENTSTORE ?? 'embedded',
    bodyLimit: c.MSGXC_BODY_LIMIT ?? 64 * 1024,
    jsonMaxDepth: c.MSGXC_JSON_MAX_DEPTH ?? JSON_MAX_DEPTH_CEILING,
    logLevel: c.MSGXC_LOG_LEVEL ?? 'info',
    allowUwsFallback: c.MSGXC_ALLOW_UWS_FALLBACK ?? false,
    embeddedWriter: c.MSGXC_EMBEDDED_WRITER ?? 'thread',
    traceLatency: c.MSGXC_TRACE_LATENCY ?? false,
    httpThreads: c.MSGXC_HTTP_THREADS ?? 1,
    engines: engineConfig(engines.right),
    // An API node runs no delivery reactors, whatever MSGXC_REACTORS says.
    triage: role === 'api' ? { ...delivery, enabled: false } : delivery,
    auth: authSettings(auth.right),
    channels: channels.right,
    limits: limitSettings(limits.right),
    idempotencyTtlSec: c.MSGXC_IDEMPOTENCY_TTL ?? 24 * 3600,
    compat: compatSettings(compat.right),
    bus: c.MSGXC_BUS ?? 'inprocess',
    ...(c.MSGXC_NATS_URL !== undefined ? { natsUrl: c.MSGXC_NATS_URL } : {}),
    busPrefix: c.MSGXC_BUS_PREFIX ?? 'msgxc',
    nodeId: c.MSGXC_NODE_ID ?? defaultNodeId(),
    stableNodeId:
      c.MSGXC_NODE_ID ??
      hostname()
        .replace(/[^A-Za-z0-9_-]/g, '-')
        .slice(0, 64),
    ws: {
      maxFramesPerSec: c.MSGXC_WS_MAX_FRAMES_PER_SEC ?? 50,
      maxBytesPerSec: c.MSGXC_WS_MAX_BYTES_PER_SEC ?? 256 * 1024,
      maxPayload: c.MSGXC_WS_MAX_PAYLOAD ?? 64 * 1024,
      maxBackpressure: c.MSGXC_WS_MAX_BACKPRESSURE ?? 1024 * 1024,
      idleTimeoutSec: c.MSGXC_WS_IDLE_TIMEOUT ?? 60,
      maxSessionsPerUser: c.MSGXC_WS_MAX_SESSIONS_PER_USER ?? 32,
      presenceHeartbeatMs: c.MSGXC_PRESENCE_HEARTBEAT_MS ?? 5_000,
      checkinIntervalMs: c.MSGXC_CHECKIN_INTERVAL_MS ?? 60_000,
    },
  });
};
