import { connect, type KV, type MsgHdrs, type NatsConnection } from 'nats';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../ports/idempotency.js';

// Idempotency records in a JetStream key-value bucket, on the NATS cluster that holds the log:
// every broker node sees every key, so a client that retries through another node (a load
// balancer does that) gets the first answer, and the command runs once (docs/production.md).
//
// One key per scope (base64url, a valid key as it is) holding the record as JSON. reserve() is
// a create: a publish that expects no message on the key's subject. That expectation (zero) is
// checked when the entry is applied in log order, so it holds on every server version in a
// cluster (the non-zero one does not before 2.9.21, nats-server#4320; docs/production.md).
// complete() replaces the record expecting the revision it read; the only writers racing there
// are two nodes that both ran the command with the reserved message id, whose answers are for
// the same message. Records expire by the bucket's max age (MSGXC_IDEMPOTENCY_TTL), counted
// from the last write, on the server: expire() has nothing left to do.
export interface KvIdempotencyOptions {
  /** Server URLs (a cluster's seeds); ignored when `connection` is given. */
  readonly servers?: readonly string[];
  readonly connection?: NatsConnection;
  /** Bucket name: letters, digits, _ and -. */
  readonly bucket: string;
  /** Replicas when the bucket is created (3 in a cluster, like the log). */
  readonly replicas: number;
  /** How long a record lives after its last write. */
  readonly ttlMs: number;
  /** How long a reserve retries a key claimed but not readable yet (a claim being applied). */
  readonly settleMs?: number;
}

interface Stored {
  readonly requestHash: string;
  readonly mid: string;
  readonly createdAt: number;
  readonly owner?: string;
  readonly response?: StoredResponse;
}

const encode = (r: IdempotencyRecord): Uint8Array => {
  const stored: Stored = {
    requestHash: r.requestHash,
    mid: r.mid,
    createdAt: r.createdAt,
    ...(r.owner !== undefined ? { owner: r.owner } : {}),
    ...(r.response !== undefined ? { response: r.response } : {}),
  };
  return new TextEncoder().encode(JSON.stringify(stored));
};

const decode = (scope: string, bytes: Uint8Array): IdempotencyRecord => {
  const s = JSON.parse(new TextDecoder().decode(bytes)) as Stored;
  return {
    scope,
    requestHash: s.requestHash,
    mid: s.mid,
    createdAt: s.createdAt,
    ...(s.owner !== undefined ? { owner: s.owner } : {}),
    ...(s.response !== undefined ? { response: s.response } : {}),
  };
};

/** The claim was lost: 10071 (wrong last sequence), or 10164 (2.11+: another claim being applied). */
const lostClaim = (e: unknown): boolean => {
  const code = (e as { api_error?: { err_code?: number } }).api_error?.err_code;
  return code === 10071 || code === 10164 || /wrong last sequence/i.test(String(e));
};

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

const createOrBind = async (nc: NatsConnection, o: KvIdempotencyOptions): Promise<KV> => {
  const js = nc.jetstream({ timeout: 15_000 });
  try {
    return await js.views.kv(o.bucket, { replicas: o.replicas, ttl: o.ttlMs, history: 1 });
  } catch (e) {
    // A bucket made with other settings (another TTL): use it as it is rather than fail to start.
    // Two nodes creating it at once: nats-server 2.9 answers the second "subjects overlap with an
    // existing stream" (the first one's): bind to it too. If another stream owns the subjects,
    // the bind finds no bucket and the start fails with that error.
    if (!/already in use|different configuration|subjects overlap/i.test(String(e))) throw e;
    return js.views.kv(o.bucket, { bindOnly: true });
  }
};

// Creating an R3 bucket waits for a meta leader and three peers: nodes starting together (or a
// busy cluster) can see the request time out or find no responders for a while. Retried for a
// minute, as a node waits for its log at start-up, instead of failing the node's start.
const openBucket = async (nc: NatsConnection, o: KvIdempotencyOptions): Promise<KV> => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await createOrBind(nc, o);
    } catch (e) {
      if (!/TIMEOUT|no responders|503/i.test(String(e)) || Date.now() > deadline) throw e;
      await pause(500);
    }
  }
};

export const openKvIdempotencyStore = async (o: KvIdempotencyOptions): Promise<IdempotencyStore> => {
  const nc =
    o.connection ??
    (await connect({
      servers: [...(o.servers ?? [])],
      name: 'msgxc-idempotency',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5_000,
      noAsyncTraces: true,
    }));
  const owns = o.connection === undefined;
  let kv: KV;
  try {
    kv = await openBucket(nc, o);
  } catch (e) {
    if (owns) await nc.close();
    throw e;
  }
  const settleMs = o.settleMs ?? 5_000;
  // Reads go to the stream's leader (STREAM.MSG.GET), not `kv.get`: a bucket that allows direct
  // gets lets any replica answer them, and a replica behind the leader answered a reservation
  // without the response already stored on it (seen on a 2.9 R3 cluster after a reopen).
  const jsm = await nc.jetstreamManager({ timeout: 15_000 });
  const stream = `KV_${o.bucket}`;
  const read = async (scope: string): Promise<{ value: Uint8Array; revision: number } | null> => {
    try {
      const m = await jsm.streams.getMessage(stream, { last_by_subj: `$KV.${o.bucket}.${scope}` });
      // A message stored without headers may come back without them (typed as always there).
      const op = (m.header as MsgHdrs | undefined)?.get('KV-Operation') ?? '';
      return op === 'DEL' || op === 'PURGE' ? null : { value: m.data, revision: m.seq };
    } catch (e) {
      // 10037: no message found (the key was never written, or expired with its bucket's TTL).
      const code = (e as { api_error?: { err_code?: number } }).api_error?.err_code;
      if (code === 10037 || /no message found/i.test(String(e))) return null;
      throw e;
    }
  };

  const reserve = async (r: IdempotencyRecord): Promise<IdempotencyRecord> => {
    const deadline = Date.now() + settleMs;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        await kv.create(r.scope, encode(r));
        return r;
      } catch (e) {
        if (!lostClaim(e)) throw e;
      }
      const found = await read(r.scope);
      if (found !== null) return decode(r.scope, found.value);
      // Claimed by a write not readable yet here (being applied, or a replica behind): look again.
      if (Date.now() > deadline) throw new Error(`idempotency key ${r.scope} is claimed but cannot be read`);
      await pause(wait);
    }
  };

  const complete = async (scope: string, response: StoredResponse): Promise<void> => {
    const found = await read(scope);
    if (found === null) return;
    const record = decode(scope, found.value);
    // An answer stored by a node that ran the same command first stays the answer.
    if (record.response !== undefined) return;
    try {
      await kv.update(scope, encode({ ...record, response }), found.revision);
    } catch (e) {
      if (!lostClaim(e)) throw e;
    }
  };

  return {
    reserve,
    complete,
    expire: () => Promise.resolve(undefined),
    close: async () => {
      if (owns) await nc.close();
    },
  };
};
