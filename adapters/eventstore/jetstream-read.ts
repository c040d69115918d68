import type { JetStreamApi, MessageQuery, RetryPolicy, StoredMessage } from './jetstream-api.js';
import { retrying } from './jetstream-api.js';
import { decodeEnvelope, toRecordedEvents } from './jetstream-codec.js';
import type { Envelope } from './jetstream-codec.js';
import type { SubjectScheme } from './jetstream-subjects.js';
import { positionOf, splitPosition } from './jetstream-subjects.js';
import type { SeenMessage, TipCache } from './jetstream-tips.js';
import { EMPTY_STREAM } from './jetstream-tips.js';
import type { ReadAllOptions, ReadStreamOptions, RecordedEvent } from '../../ports/eventstore.js';

export interface ReadDeps {
  readonly api: JetStreamApi;
  /** Up to `count` messages from `startSeq` on, in order, through a short-lived consumer; may return fewer. */
  readonly bulk: (startSeq: number, count: number) => Promise<StoredMessage[]>;
  readonly scheme: SubjectScheme;
  readonly tips: TipCache;
  readonly retry: RetryPolicy;
  readonly streamName: string;
}

export interface Append {
  readonly m: StoredMessage;
  readonly envelope: Envelope;
  readonly seen: SeenMessage;
}

// Requests in flight: while walking one stream's appends (the window doubles from the
// first size, since most streams are short), and while reading the log by sequence.
const FIRST_WINDOW = 4;
const MAX_STREAM_WINDOW = 64;
const LOG_WINDOW = 256;
// From this many messages on, a stretch of the log is read through a consumer (jetstream-bulk.ts).
const BULK_FROM = 64;

export const jetStreamReads = (deps: ReadDeps) => {
  const { api, scheme, tips, retry } = deps;
  const get = (query: MessageQuery): Promise<StoredMessage | undefined> => retrying(retry, () => api.getMessage(query));
  const open = (m: StoredMessage): Envelope => decodeEnvelope(m.data, `${deps.streamName}#${String(m.seq)}`);

  const toAppend = (m: StoredMessage, ordinal: number): Append => {
    const envelope = open(m);
    return {
      m,
      envelope,
      seen: { ordinal, seq: m.seq, firstRevision: envelope.r, lastRevision: envelope.r + envelope.e.length - 1 },
    };
  };

  /** The stream's `ordinal`-th append, read from the stream leader. */
  const fetchAppend = async (stream: string, ordinal: number): Promise<Append | undefined> => {
    const m = await get({ last_by_subj: scheme.subjectOf(stream, ordinal) });
    return m === undefined ? undefined : toAppend(m, ordinal);
  };

  /** The append stored with this stream sequence (a duplicate ack names one). */
  const appendAt = async (seq: number): Promise<(Append & { stream: string }) | undefined> => {
    const m = await get({ seq });
    const subject = m === undefined ? undefined : scheme.parse(m.subject);
    return m === undefined || subject === undefined
      ? undefined
      : { ...toAppend(m, subject.ordinal), stream: subject.stream };
  };

  // Fetches appends start, start+1, ... in order, with a growing window of requests in
  // flight, until the first missing ordinal (the end: ordinals are dense) or until `visit`
  // says stop. Returns the last append seen and whether the end was reached.
  const walk = async (
    stream: string,
    start: number,
    visit: (a: Append) => boolean,
  ): Promise<{ last?: Append; atEnd: boolean }> => {
    let last: Append | undefined;
    for (let ordinal = start, window = FIRST_WINDOW; ; window = Math.min(window * 2, MAX_STREAM_WINDOW)) {
      const batch = await Promise.all(Array.from({ length: window }, (_, i) => fetchAppend(stream, ordinal + i)));
      for (const a of batch) {
        if (a === undefined) return last === undefined ? { atEnd: true } : { last, atEnd: true };
        last = a;
        if (!visit(a)) return { last, atEnd: false };
      }
      ordinal += window;
    }
  };

  /** The stream's last append as the stream leader has it now, found from the cached tip onwards. */
  const readTip = async (stream: string): Promise<SeenMessage> => {
    const known = tips.tip(stream) ?? EMPTY_STREAM;
    const { last } = await walk(stream, known.ordinal + 1, () => true);
    const tip = last?.seen ?? known;
    if (tip.ordinal >= 0) tips.setTip(stream, tip);
    return tip;
  };

  const read = async (stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> => {
    const from = options.fromRevision ?? 0;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const out: RecordedEvent[] = [];
    if (limit <= 0) return out;
    const { last, atEnd } = await walk(stream, tips.startOrdinal(stream, from), (a) => {
      for (const e of toRecordedEvents(stream, a.m.seq, a.envelope))
        if (e.revision >= from && out.length < limit) out.push(e);
      return out.length < limit;
    });
    if (last !== undefined && atEnd) tips.setTip(stream, last.seen);
    else if (last !== undefined) tips.setResume(stream, last.seen);
    return out;
  };

  const lastSeq = async (): Promise<number> => {
    const info = (await retrying(retry, () => api.call(`STREAM.INFO.${deps.streamName}`))) as {
      state?: { last_seq?: unknown };
    };
    const last = info.state?.last_seq;
    return typeof last === 'number' ? last : 0;
  };

  // The whole log in sequence order: long stretches through a short-lived consumer, the
  // rest (and whatever the consumer did not deliver) by single gets, LOG_WINDOW in flight.
  // Every message holds at least one event, so a page of `limit` events never needs more
  // than `limit` messages. A sequence with no message (deleted by an operator) is skipped.
  // Only a sequence above the last one taken is taken: a consumer that restarts while its
  // stream's leader changes can deliver a stretch again, and a page with repeats made a
  // subscription hand the same events to its handler twice (seen once in the chaos test).
  const readAll = async (options: ReadAllOptions): Promise<RecordedEvent[]> => {
    const after = options.after ?? 0;
    const out: RecordedEvent[] = [];
    if (options.limit <= 0) return out;
    let taken = Math.max(1, splitPosition(after).seq) - 1;
    const take = (m: StoredMessage): boolean => {
      if (m.seq <= taken) return false;
      const subject = scheme.parse(m.subject);
      if (subject === undefined)
        throw new Error(`JetStream message ${deps.streamName}#${String(m.seq)} has a foreign subject`);
      for (const e of toRecordedEvents(subject.stream, m.seq, open(m)))
        if (e.position > after && out.length < options.limit) out.push(e);
      taken = m.seq;
      return true;
    };
    const end = await lastSeq();
    while (taken < end && out.length < options.limit) {
      const seq = taken + 1;
      const wanted = Math.min(end - seq + 1, options.limit - out.length);
      const bulk = wanted >= BULK_FROM ? await deps.bulk(seq, wanted) : [];
      // The consumer's messages up to the first that is not past the last one taken.
      if (bulk.length > 0 && bulk.every(take)) continue;
      if (taken >= seq) continue;
      const count = Math.min(LOG_WINDOW, wanted);
      const batch = await Promise.all(Array.from({ length: count }, (_, i) => get({ seq: seq + i })));
      for (const m of batch) if (m !== undefined) take(m);
      // Sequences with no message are behind us too.
      taken = Math.max(taken, seq + count - 1);
    }
    return out;
  };

  const head = async (): Promise<number> => {
    const m = await get({ last_by_subj: scheme.filter });
    return m === undefined ? 0 : positionOf(m.seq, open(m).e.length - 1);
  };

  return { read, readAll, head, readTip, fetchAppend, appendAt };
};
