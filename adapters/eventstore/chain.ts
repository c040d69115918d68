import { createHash } from 'node:crypto';
import type { RecordedEvent } from '../../ports/eventstore.js';
import type { EventMetadata } from '../../schema/metadata.js';

// The hashes of the tamper-evident log (docs/audit.md), one definition for the appender
// (chained.ts) and the verifier (verify.ts). Every engine stores JSON and gives it back
// with its keys in whatever order it kept, so the hash is over a canonical form: keys
// sorted, no whitespace, undefined members left out as JSON.stringify leaves them out.

const canonical = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value) as string | undefined;
    return json ?? 'null';
  }
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return canonical(withJson.toJSON());
  if (Array.isArray(value))
    return `[${value.map((v: unknown) => (v === undefined ? 'null' : canonical(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
};

/** The metadata without the link itself (the link cannot hash itself). */
export const unlinked = (metadata: EventMetadata): Omit<EventMetadata, 'chain'> => {
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

/** What one event's content hashes to, whatever its link says. */
export const contentDigest = (e: Hashable): string =>
  createHash('sha256')
    .update(
      canonical({ stream: e.stream, revision: e.revision, type: e.type, data: e.data, metadata: unlinked(e.metadata) }),
    )
    .digest('hex');

/** The link hash: the previous link and this event's content. */
export const linkHash = (prev: string, e: Hashable): string =>
  createHash('sha256').update(prev).update('\n').update(contentDigest(e)).digest('hex');

/**
 * One event's line in a checkpoint: where it is, and its link hash (or, for an event from
 * before the chain, its content digest), so a checkpoint also covers unchained events.
 */
export const checkpointLine = (e: RecordedEvent): string =>
  `${String(e.position)} ${e.metadata.chain?.hash ?? `c:${contentDigest(e)}`}\n`;

/** Folds checkpoint lines onto the previous checkpoint's hash. */
export const checkpointHasher = (prev: string) => {
  const h = createHash('sha256').update(prev).update('\n');
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
