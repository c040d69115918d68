import type { DeadLetter, Stalled } from './follower.js';

// What follows the log into a read model (or several): the contract the API waits on for
// consistent reads, and the admin UI drives for rebuilds. follower/projection.ts implements it
// once, over any engine's generations (ports/follower.ts).
export interface ProjectionStatus {
  readonly name: string;
  readonly position: number;
  /** Present while the batch after `position` keeps failing (the follower retries it). */
  readonly stalled?: Stalled;
}

/** What a rebuild did: the evidence that it replayed the log rather than only cleared. */
export interface RebuildReport {
  /** Events read back from the log and handed to the projections (summed over a combined runner's projections). */
  readonly replayed: number;
}

export interface RebuildOptions {
  /**
   * Build the new generation even though it skips events that do not decode (each becomes a
   * dead letter of the new generation). Without it a rebuild that meets one fails, and the
   * live generation stays.
   */
  readonly allowSkips?: boolean;
}

export interface ProjectionRunner {
  start(): void;
  /** Resolves once every projection has applied the log up to `position` (or rejects after `timeoutMs`). */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  status(): readonly ProjectionStatus[];
  /**
   * Builds every read model anew from position zero beside the live one, which keeps serving
   * and following the log, and swaps it in once it caught up; `onProgress` reports positions.
   * A failed rebuild leaves the live generation as it was.
   */
  rebuild(onProgress?: (position: number, head: number) => void, options?: RebuildOptions): Promise<RebuildReport>;
  /** The live generations' dead letters, in position order per projection. */
  deadLetters(): Promise<readonly DeadLetter[]>;
  /** What a rebuild would skip: the live dead letters whose events still do not decode. */
  wouldSkip(): Promise<readonly DeadLetter[]>;
  stop(): Promise<void>;
}
