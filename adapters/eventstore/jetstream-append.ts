import { randomUUID } from 'node:crypto';
import type { JetStreamApi, PublishOutcome, RetryPolicy } from './jetstream-api.js';
import { DuplicateInProcess, backoffMs, headerValue, isTransient } from './jetstream-api.js';
import { encodeEnvelope } from './jetstream-codec.js';
import type { Append, jetStreamReads } from './jetstream-read.js';
import type { SubjectScheme } from './jetstream-subjects.js';
import { MAX_EVENTS_PER_APPEND, positionOf } from './jetstream-subjects.js';
import type { SeenMessage, TipCache } from './jetstream-tips.js';
import { revisionMatches } from './revision.js';
import type { AppendResult, EventToAppend, ExpectedRevision } from '../../ports/eventstore.js';

export interface AppendDeps {
  readonly api: JetStreamApi;
  readonly reads: ReturnType<typeof jetStreamReads>;
  readonly scheme: SubjectScheme;
  readonly tips: TipCache;
  readonly retry: RetryPolicy;
  /** Called after every stored append (subscriptions wake on it). */
  readonly onStored: (position: number) => void;
}

export interface AppendStats {
  /** Publishes that failed transiently (timeout, no responders, reconnecting) and were retried. */
  retriedPublishes: number;
  /** Of those, retries told that their first try was still being stored (current servers). */
  retriesInProcess: number;
  /** Appends found stored after a retry was refused (the first try had landed). */
  recoveredAfterRetry: number;
  /** Retries answered as duplicates of a stored first try. */
  duplicateAcks: number;
  /** Claims refused because the ordinal was taken (a stale tip or a lost race). */
  claimsRefused: number;
  /** Of those, refused while the other claim was still being proposed (current servers, R3). */
  claimsInFlight: number;
}

/** The append's outcome could not be learned before the retry budget ran out. */
export class FailedToAppend extends Error {
  constructor(
    readonly stream: string,
    cause: unknown,
  ) {
    super(`JetStream append to ${stream}: no answer within the retry budget (it may or may not be stored)`, { cause });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
// A proposal is stored within a few milliseconds on a healthy cluster.
const inFlightWaitMs = (times: number): number => Math.min(64, 2 ** times);

// An append claims the stream's next ordinal subject (see jetstream-subjects.ts) with "no
// message there yet", carrying the revision of its first event: the tip's last + 1. The
// claim is what makes that revision true, for every expected state (`any` included): a
// writer whose tip was stale, or who lost a race, is refused and looks again.
//
// Retries: a publish that timed out may have been stored. The retry carries the same
// Nats-Msg-Id to the same subject, so it either stores the append (the first try was
// lost), is answered as a duplicate (first try stored; seen on a single node), or is
// refused (first try stored; seen on R3, whose leader checks the claim before
// deduplicating; also seen on a current single node). After an uncertain try, a refusal
// therefore looks at the claimed subject's message: if it carries our id, the append
// succeeded. A retry that finds its first try still being proposed (current servers) is
// told so and retried like a timeout, so a refusal never hides our own claim in flight.
//
// Current servers also refuse a claim while another writer's claim of the same subject is
// proposed but not yet stored (WRONG_LAST_SEQUENCE_IN_FLIGHT). That claim cannot be read
// yet, so the writer waits a moment before it looks again, and gives up at the deadline.
export const jetStreamAppend = (deps: AppendDeps) => {
  const { api, reads, scheme, tips } = deps;
  const stats: AppendStats = {
    retriedPublishes: 0,
    retriesInProcess: 0,
    recoveredAfterRetry: 0,
    duplicateAcks: 0,
    claimsRefused: 0,
    claimsInFlight: 0,
  };

  const stored = (stream: string, seen: SeenMessage, count: number): AppendResult => {
    tips.setTip(stream, seen);
    const position = positionOf(seen.seq, count - 1);
    deps.onStored(position);
    return { kind: 'appended', nextRevision: seen.lastRevision, position };
  };
  const storedAppend = (stream: string, a: Append): AppendResult => stored(stream, a.seen, a.envelope.e.length);

  const append = async (
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> => {
    if (events.length > MAX_EVENTS_PER_APPEND)
      throw new RangeError(`at most ${String(MAX_EVENTS_PER_APPEND)} events per append`);
    const appendId = randomUUID();
    const deadline = Date.now() + deps.retry.forMs;
    // A zero-event append writes nothing, so only a fresh look can check its expectation.
    const cached = events.length > 0 ? tips.tip(stream) : undefined;
    let fresh = cached === undefined;
    let tip = cached ?? (await reads.readTip(stream));
    let body: { revision: number; bytes: Uint8Array } | undefined;
    let uncertain = false;
    let inFlight = 0;
    for (let attempt = 0; ; attempt += 1) {
      if (!revisionMatches(expected, tip.lastRevision)) {
        if (fresh) return { kind: 'wrong_expected_revision', stream, expected, actual: tip.lastRevision };
        tip = await reads.readTip(stream);
        fresh = true;
        continue;
      }
      if (events.length === 0)
        return { kind: 'appended', nextRevision: tip.lastRevision, position: await reads.head() };
      const ordinal = tip.ordinal + 1;
      const revision = tip.lastRevision + 1;
      if (body?.revision !== revision) body = { revision, bytes: encodeEnvelope(revision, events) };
      let outcome: PublishOutcome;
      try {
        outcome = await api.publish(scheme.subjectOf(stream, ordinal), body.bytes, {
          msgId: appendId,
          lastSubjectSeq: 0,
        });
      } catch (e) {
        if (!isTransient(e)) throw e;
        if (Date.now() >= deadline) throw new FailedToAppend(stream, e);
        uncertain = true;
        stats.retriedPublishes += 1;
        if (e instanceof DuplicateInProcess) stats.retriesInProcess += 1;
        await sleep(backoffMs(attempt));
        continue;
      }
      if (outcome.kind === 'stored' && !outcome.duplicate) {
        return stored(
          stream,
          { ordinal, seq: outcome.seq, firstRevision: revision, lastRevision: revision + events.length - 1 },
          events.length,
        );
      }
      if (outcome.kind === 'stored') {
        stats.duplicateAcks += 1;
        const original = await reads.appendAt(outcome.seq);
        if (original === undefined)
          throw new Error(`JetStream named ${stream}'s append at sequence ${String(outcome.seq)}, which is not there`);
        return storedAppend(stream, original);
      }
      stats.claimsRefused += 1;
      if (outcome.inFlight) {
        stats.claimsInFlight += 1;
        if (Date.now() >= deadline)
          throw new FailedToAppend(stream, new Error(`${stream}'s next append stayed in flight at the stream leader`));
        await sleep(inFlightWaitMs(inFlight));
        inFlight += 1;
      }
      if (uncertain) {
        const holder = await reads.fetchAppend(stream, ordinal);
        if (holder !== undefined && headerValue(holder.m.headers(), 'Nats-Msg-Id') === appendId) {
          stats.recoveredAfterRetry += 1;
          return storedAppend(stream, holder);
        }
        // Someone else holds the ordinal, so none of our tries at it can land any more.
        uncertain = false;
      }
      tip = await reads.readTip(stream);
      fresh = true;
    }
  };
  return { append, stats: (): AppendStats => ({ ...stats }) };
};
