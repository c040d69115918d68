import * as crypto from 'node:crypto';
import type { RecordedEvent } from '../../ports/eventstore.js';
import type { EventMetadata } from '../../schema/metadata.js';

// The hashes of the tamper-evident log (docs/audit.md), one definition for the appender
// (chained.ts) and the verifier (verify.ts). The content is hashed as JSON.stringify writes
// it, which is how every engine stores it (SQLite and JetStream keep that text, EventStoreDB
// its bytes) and gives it back: JSON.parse keeps key order, so writing it again yields the same
// text. A sorted-key canonical form was measured 5x slower on the append path (BENCHMARKS.md).
// An engine that reorders keys (a JSONB column) would need that form: verify would say so
// at its first event.

type OneShot = (algorithm: string, data: string, encoding: 'hex') => string;
// crypto.hash (Node 20.12+) hashes a string in one call, without a Hash object: 2-3x cheaper.
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;
const sha256: (s: string) => string =
  oneShot !== undefined
    ? (s) => oneShot('sha256', s, 'hex')
    : (s) => crypto.createHash('sha256').update(s).digest('hex');

/** The metadata without the link itself (the link cannot hash itself). */
export const unlinked = (metadata: EventMetadata): Omit<EventMetadata, 'chain'> => {
  if (metadata.chain === undefined) return metadata;
  const rest: Partial<EventMetadata> = { ...metadata };
  delete rest.chain;
  return rest as Omit<EventMetadata, 'chain'>;
};

export interface Hashable {
  readonly stream: string;
  readonly revision: number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

const content = (e: Hashable): string => JSON.stringify([e.stream, e.revision, e.type, e.data, unlinked(e.metadata)]);

/** What one event's content hashes to, whatever its link says. */
export const contentDigest = (e: Hashable): string => sha256(content(e));

/** The link hash: the previous link and this event's content. */
export const linkHash = (prev: string, e: Hashable): string => sha256(`${prev}\n${content(e)}`);

/** An event's JSON texts as the engine stores them: the same text `JSON.stringify` gives. */
export interface LinkedTexts {
  readonly hash: string;
  readonly data: string;
  /** The metadata with its link, `chain` last, as `JSON.stringify({ ...metadata, chain })` writes it. */
  readonly metadata: string;
}

/**
 * The link hash of an event about to be appended, with the texts its engine stores, each
 * stringified once (issue 15: the appender hashed `content` and the engine then stringified
 * data and metadata again). An array's JSON is its elements' JSON between commas, so the
 * content is assembled from the same texts the engine stores and equals `content(e)`, which
 * the verifier recomputes from what it reads back. Undefined when a part is no JSON value
 * (the caller takes the plain path, which fails that append as before).
 */
export const linkTexts = (
  prev: string,
  e: Hashable & { readonly metadata: Omit<EventMetadata, 'chain'> },
): LinkedTexts | undefined => {
  const data = JSON.stringify(e.data) as string | undefined;
  const metadata = JSON.stringify(e.metadata) as string | undefined;
  if (data === undefined || metadata === undefined || !metadata.endsWith('}')) return undefined;
  const hash = sha256(
    `${prev}\n[${JSON.stringify(e.stream)},${JSON.stringify(e.revision)},${JSON.stringify(e.type)},${data},${metadata}]`,
  );
  const chain = `"chain":{"prev":${JSON.stringify(prev)},"hash":${JSON.stringify(hash)}}}`;
  return { hash, data, metadata: `${metadata.slice(0, -1)}${metadata === '{}' ? '' : ','}${chain}` };
};

/**
 * One event's line in a checkpoint: where it is, and its link hash (or, for an event from
 * before the chain, its content digest), so a checkpoint also covers unchained events.
 */
export const checkpointLine = (e: RecordedEvent): string =>
  `${String(e.position)} ${e.metadata.chain?.hash ?? `c:${contentDigest(e)}`}\n`;

/** Folds checkpoint lines onto the previous checkpoint's hash. */
export const checkpointHasher = (prev: string) => {
  const h = crypto.createHash('sha256').update(prev).update('\n');
  let events = 0;
  return {
    add: (line: string): void => {
      h.update(line);
      events += 1;
    },
    events: () => events,
    digest: (): string => h.digest('hex'),
  };
};
