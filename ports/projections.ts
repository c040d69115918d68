// What follows the log into a read model (or several): the contract the API waits on for
// consistent reads, and the admin UI drives for rebuilds (issue 11 puts one log follower
// behind it).
export interface ProjectionStatus {
  readonly name: string;
  readonly position: number;
}

/** What a rebuild did: the evidence that it replayed the log rather than only cleared. */
export interface RebuildReport {
  /** Events read back from the log and handed to the projections (summed over a combined runner's projections). */
  readonly replayed: number;
}

export interface ProjectionRunner {
  start(): void;
  /** Resolves once every projection has applied the log up to `position` (or rejects after `timeoutMs`). */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  status(): readonly ProjectionStatus[];
  /** Drops every read model and replays the log from position zero; `onProgress` reports positions. */
  rebuild(onProgress?: (position: number, head: number) => void): Promise<RebuildReport>;
  stop(): Promise<void>;
}
