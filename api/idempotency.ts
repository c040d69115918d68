import { createHash } from 'node:crypto';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../ports/idempotency.js';
import { errors, fromDomainError, isApiError, type ApiError } from './errors.js';
import type { RouteReply } from './route.js';

// Same key + same request -> the first answer again; same key + another request -> 422.
// Keys are scoped to the caller, so two services cannot collide or read each other's answers.
export interface Idempotency {
  run(args: {
    uid: string;
    key: string;
    fingerprint: string;
    freshMid: string;
    now: number;
    execute: (mid: string) => Promise<RouteReply | ApiError>;
  }): Promise<RouteReply | ApiError>;
}

const toStored = (r: RouteReply | ApiError): StoredResponse =>
  isApiError(r)
    ? { status: r.status, body: JSON.stringify({ code: r.code, msg: r.msg }), headers: { ...(r.headers ?? {}) } }
    : { status: r.status, body: JSON.stringify(r.body), headers: { ...(r.headers ?? {}) } };

const fromStored = (s: StoredResponse): RouteReply => ({
  status: s.status,
  body: JSON.parse(s.body) as unknown,
  headers: { ...s.headers, 'Idempotent-Replayed': 'true' },
});

/**
 * Who reserves: `owner` names this process (`<node id>/<boot id>`); a reservation without an
 * answer made by another node is left alone for `leaseMs` (409 IdempotencyKeyInProgress), the
 * longest a command can still be running there; after it, or when the reservation was made by
 * an earlier run of this node (it died), the command runs again with the reserved message id.
 */
export interface IdempotencyOwner {
  readonly owner: string;
  readonly leaseMs: number;
}

const nodeOf = (owner: string): string => owner.slice(0, owner.lastIndexOf('/'));

/** Whether a reservation without an answer may be run here now (api/idempotency.ts, IdempotencyOwner). */
export const mayTakeOver = (r: IdempotencyRecord, me: IdempotencyOwner | undefined, now: number): boolean =>
  me === undefined ||
  r.owner === undefined ||
  r.owner === me.owner ||
  nodeOf(r.owner) === nodeOf(me.owner) ||
  now - r.createdAt >= me.leaseMs;

const recordsUnavailable: ApiError = fromDomainError({
  kind: 'unavailable',
  code: 'FailedToAppend',
  msg: 'the Idempotency-Key records did not answer (they are kept beside the log): nothing was run; retry with the same key',
});

export const createIdempotency = (store: IdempotencyStore, me?: IdempotencyOwner): Idempotency => {
  // Requests with the same key that overlap in this process wait for the first one. The
  // entry is set before the first await, so two overlapping requests can never both run.
  const inflight = new Map<string, { requestHash: string; attempt: Promise<RouteReply | ApiError> }>();

  const run: Idempotency['run'] = async ({ uid, key, fingerprint, freshMid, now, execute }) => {
    const scope = createHash('sha256').update(uid).update('\0').update(key).digest('base64url');
    const requestHash = createHash('sha256').update(fingerprint).digest('base64url');
    const running = inflight.get(scope);
    if (running) {
      if (running.requestHash !== requestHash) return errors.idempotencyMismatch();
      const first = await running.attempt;
      return isApiError(first)
        ? first
        : { ...first, headers: { ...(first.headers ?? {}), 'Idempotent-Replayed': 'true' } };
    }
    const attempt = (async (): Promise<RouteReply | ApiError> => {
      let record: IdempotencyRecord;
      try {
        record = await store.reserve({
          scope,
          requestHash,
          mid: freshMid,
          createdAt: now,
          ...(me !== undefined ? { owner: me.owner } : {}),
        });
      } catch {
        // The records live beside the log (a JetStream KV bucket): when they cannot be reached,
        // nothing ran, and the client retries with the same key, as for a log that did not answer.
        return recordsUnavailable;
      }
      if (record.requestHash !== requestHash) return errors.idempotencyMismatch();
      if (record.response) return fromStored(record.response);
      // Reserved by another node that has not answered yet: its command may be running now.
      if (!mayTakeOver(record, me, now)) return errors.idempotencyInProgress();
      // Reserved now, or reserved by a try that never stored its answer (crash, 5xx): run the
      // command with the reserved message id; commands are idempotent on that id.
      const reply = await execute(record.mid);
      // An answer that cannot be stored is still the answer: its events are durable, and a retry
      // with the key runs the command again with the reserved message id, on which it is idempotent.
      if (reply.status < 500) await store.complete(scope, toStored(reply)).catch(() => undefined);
      return reply;
    })().finally(() => inflight.delete(scope));
    inflight.set(scope, { requestHash, attempt });
    return attempt;
  };
  return { run };
};

export const IDEMPOTENCY_KEY_FORM = 'expected 1..255 visible ASCII characters';
export const isValidIdempotencyKey = (k: string): boolean => /^[\x21-\x7e]{1,255}$/.test(k);
