import type { RecordedEvent } from '../ports/eventstore.js';
import type {
  CheckpointStore,
  DeadLetter,
  Followed,
  FollowedEvent,
  FollowerHandler,
  Pause,
  Progress,
} from '../ports/follower.js';
import { clip, decodeBatch } from './decode.js';
import { isUnhandleable } from './unhandleable.js';

// One batch through a handler and a checkpoint store: decode, hand the events over, and store
// the position (with the dead letters met on the way) only after the handler's work, and any
// effect it paused for, succeeded. The whole log-following machinery is built on this step.

export interface Target {
  readonly name: string;
  readonly handler: FollowerHandler<FollowedEvent>;
  readonly checkpoints: CheckpointStore;
  /** The clock that stamps dead letters. */
  readonly now: () => string;
}

export interface BatchHooks {
  /** After each commit: the position now stored (a batch with effects commits several times). */
  readonly onCommit?: (position: number) => void;
  /** Before dead letters are committed; a throw fails the batch (a rebuild that must not skip). */
  readonly onDead?: (dead: readonly DeadLetter[]) => void;
}

export interface BatchResult {
  readonly position: number;
  readonly dead: readonly DeadLetter[];
  /** Of `dead`, events whose type the schema does not know. */
  readonly unknown: number;
}

const isPause = (x: unknown): x is Pause => typeof x === 'object' && x !== null && 'effect' in x && 'at' in x;
const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';

interface Step extends Progress {
  /** The pause, and the last event its effect covers. */
  readonly pause?: { readonly pause: Pause; readonly last: Followed<FollowedEvent>; readonly through: number };
}

/** Where a batch stops when the handler paused at `out.at`: the events before it are done. */
const paused = (out: Pause, events: readonly Followed<FollowedEvent>[], dead: readonly DeadLetter[]): Step => {
  const event = events[out.at];
  const through = out.through ?? out.at;
  const last = events[through];
  if (event === undefined || last === undefined || through < out.at)
    throw new RangeError(`pause at ${out.at}..${through} outside a batch of ${events.length}`);
  return {
    position: event.position - 1,
    deadLetters: dead.filter((d) => d.position < event.position),
    pause: { pause: out, last, through },
  };
};

/** The handler's work on `events`, as the unit of work a checkpoint store commits. */
const step = (
  handler: FollowerHandler<FollowedEvent>,
  events: readonly Followed<FollowedEvent>[],
  dead: readonly DeadLetter[],
  last: number,
): Step | Promise<Step> => {
  const through: Step = { position: last, deadLetters: dead };
  if (events.length === 0) return through;
  const out = handler.handle(events);
  if (out === undefined) return through;
  if (isThenable(out)) return Promise.resolve(out).then((p) => (isPause(p) ? paused(p, events, dead) : through));
  if (!isPause(out)) throw new TypeError('a follower handler returned neither nothing, a promise nor a pause');
  return paused(out, events, dead);
};

/** Applies the records after `after`; resolves once their position is stored. */
export const applyBatch = async (
  t: Target,
  records: readonly RecordedEvent[],
  after: number,
  hooks: BatchHooks = {},
): Promise<BatchResult> => {
  const batch = decodeBatch(t.name, records, after, t.handler.types, t.now);
  if (batch.last === after) return { position: after, dead: [], unknown: 0 };
  if (batch.dead.length > 0) hooks.onDead?.(batch.dead);
  let events = batch.events;
  let dead = batch.dead;
  for (;;) {
    const done = await t.checkpoints.commit(t.name, () => step(t.handler, events, dead, batch.last));
    hooks.onCommit?.(done.position);
    if (done.pause === undefined) return { position: batch.last, dead: batch.dead, unknown: batch.unknown };
    const { pause, last, through } = done.pause;
    await pause.effect();
    // Nothing for the handler after the pause (a triage batch that ends with its sends, the
    // usual case): the batch's end is stored at once, with every dead letter after the stored
    // position, where the pause's own position and then an empty step's each took a write
    // transaction (issue 15). The same rows end up stored; a crash before this commit runs the
    // effect again, as it did before the first of the two.
    if (through + 1 >= events.length) {
      const rest = dead.filter((d) => d.position > done.position);
      await t.checkpoints.commit(t.name, () => ({ position: batch.last, deadLetters: rest }));
      hooks.onCommit?.(batch.last);
      return { position: batch.last, dead: batch.dead, unknown: batch.unknown };
    }
    const covered = dead.filter((d) => d.position > done.position && d.position < last.position);
    await t.checkpoints.commit(t.name, () => ({ position: last.position, deadLetters: covered }));
    hooks.onCommit?.(last.position);
    events = events.slice(through + 1);
    dead = dead.filter((d) => d.position > last.position);
  }
};

/**
 * applyBatch, and when the handler refuses an event for good (isUnhandleable): the batch again
 * one event at a time from where it stopped, each committed on its own, the refused one
 * committed as a dead letter (`handler: <why>`). Any other failure is the caller's to retry.
 */
export const applyQuarantining = async (
  t: Target,
  records: readonly RecordedEvent[],
  after: number,
  hooks: BatchHooks = {},
): Promise<BatchResult> => {
  let position = after;
  const tracked: BatchHooks = {
    ...hooks,
    onCommit: (p) => {
      position = Math.max(position, p);
      hooks.onCommit?.(p);
    },
  };
  try {
    return await applyBatch(t, records, after, tracked);
  } catch (e) {
    if (!isUnhandleable(e)) throw e;
  }
  const dead: DeadLetter[] = [];
  let unknown = 0;
  for (const r of records) {
    if (r.position <= position) continue;
    try {
      const one = await applyBatch(t, [r], position, tracked);
      dead.push(...one.dead);
      unknown += one.unknown;
      position = Math.max(position, one.position);
    } catch (e) {
      if (!isUnhandleable(e)) throw e;
      const letter: DeadLetter = {
        follower: t.name,
        position: r.position,
        stream: r.stream,
        type: r.type.slice(0, 200),
        reason: clip(`handler: ${e.message}`),
        at: t.now(),
      };
      hooks.onDead?.([letter]);
      await t.checkpoints.commit(t.name, () => ({ position: r.position, deadLetters: [letter] }));
      tracked.onCommit?.(r.position);
      dead.push(letter);
    }
  }
  return { position, dead, unknown };
};
