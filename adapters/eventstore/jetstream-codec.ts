import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { StoredMetadata } from '../../schema/metadata.js';
import type { EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import { positionOf } from './jetstream-subjects.js';

// The body of one JetStream message: every event of one append, and the stream revision of
// the first of them. The revision is written by the appender, which knows it because the
// publish claims the stream's next append subject (see jetstream-append.ts); readers never
// have to count the subject's earlier events.
const StoredEvent = t.type({ t: t.string, d: t.unknown, m: StoredMetadata });
export const Envelope = t.type({ r: t.number, e: t.array(StoredEvent) }, 'JetStreamEnvelope');
export type Envelope = t.TypeOf<typeof Envelope>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeEnvelope = (firstRevision: number, events: readonly EventToAppend[]): Uint8Array => {
  const json = JSON.stringify({ r: firstRevision, e: events.map((e) => ({ t: e.type, d: e.data, m: e.metadata })) }) as
    | string
    | undefined;
  if (json === undefined) throw new TypeError('event data is not JSON-serializable');
  return encoder.encode(json);
};

/** A message in the stream that is not ours is a corrupted log, not an expected failure. */
export const decodeEnvelope = (bytes: Uint8Array, where: string): Envelope => {
  const decoded = Envelope.decode(JSON.parse(decoder.decode(bytes)));
  if (isLeft(decoded)) throw new Error(`JetStream message ${where} is not a msgxc event envelope`);
  return decoded.right;
};

export const toRecordedEvents = (stream: string, seq: number, envelope: Envelope): RecordedEvent[] =>
  envelope.e.map((e, i) => ({
    stream,
    revision: envelope.r + i,
    position: positionOf(seq, i),
    type: e.t,
    data: e.d,
    metadata: e.m,
  }));
