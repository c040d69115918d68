import type { DomainEvent, UsersCheckedIn } from '../schema/events.js';
import type { EventMetadata } from '../schema/metadata.js';

// The log follower's contract (follower/ implements it once): what a handler is given and may
// answer, where a follower keeps its checkpoint and its dead letters (one CheckpointStore per
// engine: adapters/checkpoint/), and the generations a projection is rebuilt into side by side.

/**
 * What a follower can hand over: the domain events, and the nodes' check-ins (outside
 * DomainEvent: no aggregate folds them), which go only to a handler that names their type in
 * `types` (and is then a `FollowerHandler<FollowedEvent>`).
 */
export type FollowedEvent = DomainEvent | UsersCheckedIn;

/** An event the follower decoded, with where it sits in the log. */
export interface Followed<E extends FollowedEvent = DomainEvent> {
  readonly event: E;
  readonly position: number;
  readonly revision: number;
  readonly stream: string;
  readonly metadata: EventMetadata;
}

/** Work to do after the events before it are committed, e.g. appends to the log. */
export type Effect = () => Promise<void>;

/**
 * A handler stops part-way through a batch: `events[0..at)` are done, `events[at..through]`
 * (`through` defaults to `at`) were handled but are done only once `effect` succeeded. The
 * follower commits the first part, runs the effect, commits through `events[through]`, and
 * hands the rest over in a new call. If the effect fails, `events[at..through]` are handled
 * again later (handling must be idempotent), then the effect again.
 */
export interface Pause {
  readonly at: number;
  /** The last event the effect covers (several events' effects run as one). */
  readonly through?: number;
  readonly effect: Effect;
}

export interface FollowerHandler<E extends FollowedEvent = DomainEvent> {
  /**
   * Event types to decode and hand over; the others only move the checkpoint. Default: every
   * domain event type. Types outside DomainEvent (UsersCheckedIn) only when named here.
   */
  readonly types?: ReadonlySet<string>;
  /**
   * Events in log order, never empty. Synchronous work commits atomically with the checkpoint
   * where the checkpoint's engine has transactions (SQLite); a returned promise makes the
   * follower wait for it before the checkpoint passes these events; it may resolve to a pause
   * (work that reads asynchronously before it stops for an effect, e.g. delivery's folds).
   *
   * A failure is retried (with backoff) until it succeeds: an engine that is down loses
   * nothing. An event that can never be applied (its data breaks the projection's own rules)
   * is refused with an Error marked `unhandleable: true` (follower/unhandleable.ts): the
   * follower then applies the batch one event at a time and quarantines that event as a dead
   * letter (`handler: <why>`), and carries on.
   */
  // A promise of `void | Pause`: what an async handler that sometimes pauses is inferred to return.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  handle(events: readonly Followed<E>[]): undefined | Promise<void | Pause> | Pause;
}

/** An event a follower could not decode, or its handler refused for good: recorded, counted, listed; the follower moves on. */
export interface DeadLetter {
  readonly follower: string;
  readonly position: number;
  readonly stream: string;
  readonly type: string;
  readonly reason: string;
  /** When the follower met it (ISO-8601). */
  readonly at: string;
}

/** What one unit of work leaves behind: the position it reached and what it quarantined. */
export interface Progress {
  readonly position: number;
  readonly deadLetters: readonly DeadLetter[];
}

/**
 * A follower's checkpoints and dead letters in one engine (SQLite table, Cassandra table,
 * Elasticsearch document). Positions never pass work that has not happened.
 */
export interface CheckpointStore {
  /** The stored position of `follower`, 0 when none. */
  read(follower: string): Promise<number>;
  /**
   * Runs `work`, then stores the position and dead letters it returns. SQLite does both in one
   * transaction when `work` is synchronous; otherwise the position is stored after `work`
   * resolved (at-least-once). A failed `work` stores nothing.
   */
  commit<R extends Progress>(follower: string, work: () => R | Promise<R>): Promise<R>;
  /** Moves a follower's position (tests and operators moving a projection back). */
  write(follower: string, position: number): Promise<void>;
  /** Dead letters in position order (one follower's, or every follower's). */
  deadLetters(follower?: string): Promise<readonly DeadLetter[]>;
}

export interface FollowerHealth {
  /** Failed batches so far, and the last failure's message. */
  readonly failures: number;
  readonly lastError: string | null;
  /** While the batch after `position` keeps failing: since when, and how many attempts. */
  readonly stalled?: Stalled | null;
}

export interface Stalled {
  /** The stored position the failing batch comes after. */
  readonly position: number;
  readonly since: string;
  readonly attempts: number;
}

/** What a follower passed over: types outside the schema, and events that did not decode. */
export interface Skipped {
  readonly unknown: number;
  readonly invalid: number;
}

/** One generation of a projection's storage: its own data, checkpoint and dead letters. */
export interface Generation<S> {
  /** Names it in logs and status (a file, a keyspace, an index suffix). */
  readonly id: string;
  readonly checkpoints: CheckpointStore;
  /** What the projection writes to (and, for the live one, what queries read). */
  readonly store: S;
}

/**
 * Where a projection is rebuilt blue/green: a new generation is built beside the live one and
 * promoted in one step once it has caught up; queries never see a half-built one.
 */
export interface Generations<S> {
  /** The generation queries read (the first one is created empty). */
  live(): Promise<Generation<S>>;
  /** An empty generation beside the live one, invisible to queries. */
  create(): Promise<Generation<S>>;
  /** Makes `next` the live generation in one step, then drops the previous one. */
  promote(next: Generation<S>): Promise<void>;
  /** Drops a generation that never went live (a failed rebuild). */
  discard(g: Generation<S>): Promise<void>;
  /**
   * The live generation's id as stored now, when another process may promote one (a shared
   * Cassandra): a projection that sees it change follows the new generation. Absent: never changes behind it.
   */
  stored?(): Promise<string>;
}
