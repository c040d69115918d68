import { isRight } from 'fp-ts/lib/Either.js';
import type { EventStore, RecordedEvent } from '../../ports/eventstore.js';
import {
  CHECKPOINT_STREAM,
  CHECKPOINT_TYPE,
  ChainLink,
  GENESIS,
  LogCheckpointed,
  UNCHAINED,
} from '../../schema/audit.js';
import { escapeControls } from '../../schema/unreadable-event.js';
import { checkpointHasher, checkpointLine, linkHash } from './chain.js';

// `msgxc audit verify`: reads the whole log in order, recomputes every link and checkpoint
// (chain.ts) and stops at the first event that does not fit. What this proves and what it
// cannot: docs/audit.md.

export type FailureKind = 'altered' | 'removed' | 'reordered' | 'unlinked' | 'checkpoint';

export interface VerifyFailure {
  readonly kind: FailureKind;
  readonly position: number;
  readonly stream: string;
  readonly revision: number;
  readonly message: string;
}

export interface VerifyReport {
  readonly events: number;
  readonly streams: number;
  readonly chained: number;
  /** Events from before the chain (no link): covered by checkpoints only. */
  readonly unchained: number;
  readonly checkpoints: number;
  readonly lastCheckpoint?: { readonly position: number; readonly upTo: number; readonly hash: string };
  /** Position of the last event read. */
  readonly head: number;
  readonly failure?: VerifyFailure;
}

interface StreamState {
  readonly revision: number;
  readonly link: string;
}

const PAGE = 2000;
const WINDOW = 100_000;

export const verifyLog = async (
  store: Pick<EventStore, 'readAll'>,
  progress?: (position: number) => void,
): Promise<VerifyReport> => {
  const streams = new Map<string, StreamState>();
  let events = 0;
  let chained = 0;
  let unchained = 0;
  let checkpoints = 0;
  let firstChained: RecordedEvent | undefined;
  let lastCheckpoint: VerifyReport['lastCheckpoint'];
  let checkpointed = { upTo: 0, hash: GENESIS };
  // The next checkpoint's hash so far: lines are folded in once WINDOW later events are read,
  // since a checkpoint event comes after the end of its range, a little later under load.
  let hasher = checkpointHasher(GENESIS);
  let foldedUpTo = 0;
  let window: { position: number; line: string }[] = [];
  let windowStart = 0;
  const fold = (upTo: number): void => {
    while (windowStart < window.length && (window[windowStart]?.position ?? Infinity) <= upTo) {
      const w = window[windowStart++];
      if (w === undefined) break;
      hasher.add(w.line);
      foldedUpTo = w.position;
    }
    if (windowStart > 4096) {
      window = window.slice(windowStart);
      windowStart = 0;
    }
  };
  let head = 0;

  const isCheckpoint = (e: RecordedEvent): boolean => e.stream === CHECKPOINT_STREAM && e.type === CHECKPOINT_TYPE;

  const fail = (e: RecordedEvent, kind: FailureKind, what: string): VerifyFailure => ({
    kind,
    position: e.position,
    stream: e.stream,
    revision: e.revision,
    // Escaped: the stream name and a parser's quote of a row are whatever was written to the
    // file, and this line is read on a terminal, where control characters could rewrite it.
    message: escapeControls(
      `${kind}: stream ${JSON.stringify(e.stream)} revision ${String(e.revision)} at position ${String(e.position)}: ${what}`,
    ),
  });

  const checkEvent = (e: RecordedEvent): VerifyFailure | undefined => {
    const state = streams.get(e.stream) ?? { revision: -1, link: GENESIS };
    const expected = state.revision + 1;
    if (e.revision > expected)
      return fail(
        e,
        'removed',
        `revision ${String(expected)}${e.revision - 1 > expected ? `..${String(e.revision - 1)}` : ''} of this stream is missing before it`,
      );
    if (e.revision < expected)
      return fail(e, 'reordered', `comes after revision ${String(state.revision)} of the same stream`);
    const raw = e.metadata.chain as unknown;
    if (raw === undefined) {
      if (firstChained !== undefined)
        return fail(e, 'unlinked', `has no link although the chain began at position ${String(firstChained.position)}`);
      unchained += 1;
      streams.set(e.stream, { revision: e.revision, link: UNCHAINED });
      return undefined;
    }
    const decoded = ChainLink.decode(raw);
    if (!isRight(decoded)) return fail(e, 'altered', 'its link is not a link');
    const { prev, hash } = decoded.right;
    if (linkHash(prev, e) !== hash) return fail(e, 'altered', 'its content does not match its hash');
    if (prev !== state.link)
      return fail(
        e,
        'reordered',
        `its link names another predecessor than revision ${String(state.revision)} (an event before it was removed, replaced or moved)`,
      );
    firstChained ??= e;
    chained += 1;
    streams.set(e.stream, { revision: e.revision, link: hash });
    return undefined;
  };

  const checkCheckpoint = (e: RecordedEvent): VerifyFailure | undefined => {
    const decoded = LogCheckpointed.decode(e.data);
    if (!isRight(decoded)) return fail(e, 'checkpoint', 'is not a checkpoint');
    const c = decoded.right;
    if (c.after !== checkpointed.upTo || c.prev !== checkpointed.hash)
      return fail(e, 'checkpoint', `does not follow the checkpoint up to position ${String(checkpointed.upTo)}`);
    if (foldedUpTo > c.upTo)
      return fail(e, 'checkpoint', `comes more than ${String(WINDOW)} events after the end of its range: not checked`);
    fold(c.upTo);
    const missing = c.events - hasher.events();
    if (missing > 0)
      return fail(
        e,
        'checkpoint',
        `${String(missing)} event(s) between positions ${String(c.after)} and ${String(c.upTo)} were removed`,
      );
    if (missing < 0 || hasher.digest() !== c.hash)
      return fail(
        e,
        'checkpoint',
        `the events between positions ${String(c.after)} and ${String(c.upTo)} were altered, inserted or reordered`,
      );
    hasher = checkpointHasher(c.hash);
    checkpointed = { upTo: c.upTo, hash: c.hash };
    checkpoints += 1;
    lastCheckpoint = { position: e.position, upTo: c.upTo, hash: c.hash };
    return undefined;
  };

  // A row changed on disk into text that is not JSON (or metadata that is not an object) is an
  // altered event like any other: named by its position, not a crash of the whole verification
  // (the embedded engine parses `data` and `metadata` when first read, so this is where it throws).
  const examine = (e: RecordedEvent): VerifyFailure | undefined => {
    try {
      const metadata = e.metadata as unknown;
      if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
        return fail(e, 'altered', 'its metadata is not a JSON object');
      const failure = checkEvent(e) ?? (isCheckpoint(e) ? checkCheckpoint(e) : undefined);
      if (failure === undefined) window.push({ position: e.position, line: checkpointLine(e) });
      return failure;
    } catch (err) {
      return fail(e, 'altered', `its stored data or metadata cannot be read (${String(err).slice(0, 200)})`);
    }
  };

  const report = (failure?: VerifyFailure): VerifyReport => ({
    events,
    streams: streams.size,
    chained,
    unchained,
    checkpoints,
    ...(lastCheckpoint !== undefined ? { lastCheckpoint } : {}),
    head,
    ...(failure !== undefined ? { failure } : {}),
  });

  for (;;) {
    const page = await store.readAll({ after: head, limit: PAGE });
    for (const e of page) {
      events += 1;
      head = e.position;
      const failure = examine(e);
      if (failure !== undefined) return report(failure);
      if (window.length - windowStart > WINDOW) fold(window[windowStart]?.position ?? 0);
    }
    progress?.(head);
    if (page.length < PAGE) return report();
  }
};
