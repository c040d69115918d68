// How the port's vocabulary maps onto one JetStream stream.
//
// One message per append: nats-server 2.9 has no atomic batch publish, so ONE JetStream
// message carries every event of one append (atomic and ordered by construction).
//
// One subject per append: `<prefix>.events.<token>.<ordinal>`, where the token is the
// base64url of the event stream's name (names hold `.`, `-`, `:`, spaces, `*` and more;
// base64url's alphabet is safe in a subject token and reversible) and the ordinal counts
// the stream's appends: 0, 1, 2, ... without gaps. An append claims the next ordinal with
// `Nats-Expected-Last-Subject-Sequence: 0` ("this subject has no message yet").
//   Why not one subject per stream guarded by its last sequence: on nats-server before
//   2.9.21 a clustered stream only pre-checks a non-zero expected sequence at the leader,
//   outside the RAFT log, so concurrent publishes with the same expectation can ALL be
//   stored (nats-server issue 4320; seen here on 2.9.10: 20 of 20 racers stored on R3).
//   The zero expectation is checked when the entry is applied, in log order, so exactly one
//   racer wins (seen here: 1 of 20), on a single node and in a cluster alike.
//   On current servers (2.15.3 tested) a per-stream guard would be correct too, and this
//   layout stays correct there (the racing and chaos tests run on both), so one layout
//   serves every supported server. Its cost: the server keeps per-subject state for every
//   append, about 70 bytes of RAM per append on 2.15.3 and 170 on 2.9.10 (measured,
//   bench/jetstream-subjects.ts). A per-stream layout for current servers would need a
//   layout marker on the stream and another read path (docs/production.md).
// Ordinals are dense, so a stream is read by fetching `<token>.0`, `<token>.1`, ... by
// exact subject (many requests in flight, no consumer), and its end is the first missing one.
//
// Positions: the event at index i of the message with stream sequence `seq` has position
// `seq * SLOTS + i`. Positions then strictly increase in log order, start above 0, leave
// gaps (as the port allows), and map back to a message with one division. SLOTS = 1024
// caps one append at 1024 events and leaves 2^53 / 2^10 = 8.8e12 messages before positions
// leave the safe-integer range (28 years of 10k appends/s).
export const SLOTS = 1024;
export const MAX_EVENTS_PER_APPEND = SLOTS;

export const positionOf = (seq: number, index: number): number => seq * SLOTS + index;

/** The message sequence holding a position, and the index of the event inside it. */
export const splitPosition = (position: number): { readonly seq: number; readonly index: number } => ({
  seq: Math.floor(position / SLOTS),
  index: position % SLOTS,
});

export interface SubjectScheme {
  /** The JetStream stream's single subject filter. */
  readonly filter: string;
  /** Core-NATS subject (not captured by the stream) on which appenders announce new data. */
  readonly wakeSubject: string;
  /** The subject of the stream's `ordinal`-th append. */
  subjectOf(stream: string, ordinal: number): string;
  /** undefined for a subject this scheme did not produce. */
  parse(subject: string): { readonly stream: string; readonly ordinal: number } | undefined;
}

// A prefix is one or more plain subject tokens: no wildcards, no empty tokens, no spaces.
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const TAIL = /^([A-Za-z0-9_-]+)\.(0|[1-9][0-9]*)$/;

export const subjectScheme = (prefix: string): SubjectScheme => {
  if (!PREFIX.test(prefix))
    throw new Error(
      `JetStream subject prefix ${JSON.stringify(prefix)}: use tokens of A-Z a-z 0-9 _ - separated by dots`,
    );
  const head = `${prefix}.events.`;
  return {
    filter: `${head}>`,
    wakeSubject: `${prefix}.appended`,
    subjectOf: (stream, ordinal) => {
      if (stream === '') throw new Error('an event stream name cannot be empty');
      return `${head}${Buffer.from(stream, 'utf8').toString('base64url')}.${String(ordinal)}`;
    },
    parse: (subject) => {
      const tail = subject.startsWith(head) ? TAIL.exec(subject.slice(head.length)) : null;
      if (tail?.[1] === undefined || tail[2] === undefined) return undefined;
      return { stream: Buffer.from(tail[1], 'base64url').toString('utf8'), ordinal: Number(tail[2]) };
    },
  };
};
