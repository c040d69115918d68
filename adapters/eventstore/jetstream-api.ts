import { headers as natsHeaders, NatsError } from 'nats';
import type { NatsConnection } from 'nats';
import { createRequester, NoResponders, RequestTimedOut } from './jetstream-mux.js';

// The few JetStream API calls the event store needs, as raw requests on the core
// connection. The `nats` client's JetStream manager would do too, but its getMessage
// decodes base64 one character at a time and hides the API error codes we branch on
// (10037 no message, 10071 wrong last sequence); catch-up reads thousands of messages/s.

export interface ApiErrorBody {
  readonly code: number;
  readonly err_code: number;
  readonly description: string;
}

export class JetStreamApiError extends Error {
  constructor(
    readonly subject: string,
    readonly api: ApiErrorBody,
  ) {
    super(`JetStream ${subject}: ${api.description} (${String(api.code)}/${String(api.err_code)})`);
  }
}

export const NO_MESSAGE = 10037;
export const STREAM_NOT_FOUND = 10059;
export const WRONG_LAST_SEQUENCE = 10071;
// Since 2.11 (read in the sources; 2.15.3 tested) a clustered stream leader pre-checks a
// publish and tracks what is proposed but not yet applied, the proper fix of
// nats-server#4320. A publish guarded on a subject with such a proposal in flight is refused
// with 10164, the constant "wrong last sequence" (no sequence: the other is not stored yet).
export const WRONG_LAST_SEQUENCE_IN_FLIGHT = 10164;
// A retry whose own first try is still being proposed: 10158 "duplicate message id is in
// process" since 2.11; 2.10 answers a duplicate ack with sequence 0 instead.
export const DUPLICATE_IN_PROCESS = 10158;

/** Our earlier try of this publish is proposed at the leader but not stored yet: its outcome is not known. */
export class DuplicateInProcess extends Error {
  constructor(readonly subject: string) {
    super(`JetStream ${subject}: an earlier try with this Nats-Msg-Id is still being stored`);
  }
}

export interface StoredMessage {
  readonly subject: string;
  readonly seq: number;
  readonly data: Uint8Array;
  /** The raw header block ("NATS/1.0\r\nName: value\r\n..."), empty when none; decoded on demand. */
  headers(): string;
}

export type MessageQuery =
  | { readonly seq: number }
  | { readonly seq: number; readonly next_by_subj: string }
  | { readonly last_by_subj: string };

export type PublishOutcome =
  | { readonly kind: 'stored'; readonly seq: number; readonly duplicate: boolean }
  /** The claim was refused; `inFlight` when the holder is proposed at the leader but not yet readable. */
  | { readonly kind: 'wrong_last_sequence'; readonly inFlight: boolean };

interface RawResponse {
  readonly error?: ApiErrorBody;
  readonly [key: string]: unknown;
}
interface RawMessage {
  readonly subject: string;
  readonly seq: number;
  readonly data?: string;
  readonly hdrs?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** Reads one header of a stored message's header block. */
export const headerValue = (block: string, name: string): string | undefined => {
  const prefix = `${name.toLowerCase()}:`;
  const line = block.split('\r\n').find((l) => l.toLowerCase().startsWith(prefix));
  return line?.slice(prefix.length).trim();
};

export interface JetStreamApi {
  call(verb: string, body?: unknown): Promise<RawResponse>;
  getMessage(query: MessageQuery): Promise<StoredMessage | undefined>;
  publish(
    subject: string,
    body: Uint8Array,
    guard: { readonly msgId: string; readonly lastSubjectSeq: number },
  ): Promise<PublishOutcome>;
  close(): void;
}

export const jetStreamApi = (nc: NatsConnection, stream: string, timeoutMs: number): JetStreamApi => {
  const requester = createRequester(nc, timeoutMs);
  const call = async (verb: string, body?: unknown): Promise<RawResponse> => {
    const subject = `$JS.API.${verb}`;
    const reply = await requester.request(subject, body === undefined ? EMPTY : encoder.encode(JSON.stringify(body)));
    const parsed = JSON.parse(decoder.decode(reply.data)) as RawResponse;
    if (parsed.error !== undefined) throw new JetStreamApiError(subject, parsed.error);
    return parsed;
  };

  const getMessage = async (query: MessageQuery): Promise<StoredMessage | undefined> => {
    try {
      const { message } = (await call(`STREAM.MSG.GET.${stream}`, query)) as { message: RawMessage };
      const { hdrs } = message;
      return {
        subject: message.subject,
        seq: message.seq,
        data: message.data === undefined ? EMPTY : Buffer.from(message.data, 'base64'),
        headers: () => (hdrs === undefined ? '' : Buffer.from(hdrs, 'base64').toString('utf8')),
      };
    } catch (e) {
      if (e instanceof JetStreamApiError && e.api.err_code === NO_MESSAGE) return undefined;
      throw e;
    }
  };

  const publish = async (
    subject: string,
    body: Uint8Array,
    guard: { msgId: string; lastSubjectSeq: number },
  ): Promise<PublishOutcome> => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', guard.msgId);
    h.set('Nats-Expected-Stream', stream);
    // Set by hand: 0 ("the subject has no message yet") is a value the server checks.
    h.set('Nats-Expected-Last-Subject-Sequence', String(guard.lastSubjectSeq));
    const reply = await requester.request(subject, body, h);
    const ack = JSON.parse(decoder.decode(reply.data)) as RawResponse & { seq?: number; duplicate?: boolean };
    if (ack.error?.err_code === WRONG_LAST_SEQUENCE) return { kind: 'wrong_last_sequence', inFlight: false };
    if (ack.error?.err_code === WRONG_LAST_SEQUENCE_IN_FLIGHT) return { kind: 'wrong_last_sequence', inFlight: true };
    if (ack.error?.err_code === DUPLICATE_IN_PROCESS) throw new DuplicateInProcess(subject);
    if (ack.error !== undefined) throw new JetStreamApiError(subject, ack.error);
    if (ack.duplicate === true && ack.seq === 0) throw new DuplicateInProcess(subject);
    if (typeof ack.seq !== 'number' || ack.seq < 1) throw new Error(`JetStream publish to ${subject}: malformed ack`);
    return { kind: 'stored', seq: ack.seq, duplicate: ack.duplicate === true };
  };

  return {
    call,
    getMessage,
    publish,
    close: () => {
      requester.close();
    },
  };
};

// Failures that say "not now" rather than "no": a request that timed out (leader moving,
// node killed mid-request), no responders (no stream leader yet), the client reconnecting,
// the server's own 503 answers ("JetStream system temporarily unavailable"), or our own
// earlier try still being proposed (DuplicateInProcess).
const TRANSIENT_CLIENT_CODES = new Set(['503', 'TIMEOUT', 'DISCONNECT', 'CONNECTION_REFUSED', 'REQUEST_ERROR']);
export const isTransient = (e: unknown): boolean =>
  e instanceof RequestTimedOut ||
  e instanceof NoResponders ||
  e instanceof DuplicateInProcess ||
  (e instanceof NatsError && TRANSIENT_CLIENT_CODES.has(e.code)) ||
  (e instanceof JetStreamApiError && (e.api.code === 503 || e.api.code === 408));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryPolicy {
  /** Give up (rethrow) once this long has passed since the first try. */
  readonly forMs: number;
}

export const backoffMs = (attempt: number): number => Math.min(500, 25 * 2 ** attempt);

/** Runs an idempotent request, retrying transient failures with a short backoff. */
export const retrying = async <T>(policy: RetryPolicy, op: () => Promise<T>): Promise<T> => {
  const deadline = Date.now() + policy.forMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await op();
    } catch (e) {
      if (!isTransient(e) || Date.now() >= deadline) throw e;
      await sleep(backoffMs(attempt));
    }
  }
};
