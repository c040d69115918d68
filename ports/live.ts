// Where live frames go (delivery/live.ts writes them; api/ws/ or the bus implements it). The
// kinds are the bus's: `user` (one user's sessions, key = uid), `thread` (the sessions
// subscribed to a thread, key = tid) and `broadcast` (every session, key ''). An envelope is a
// header line and a frame (schema/frames.ts `encodeEnvelope`).
export type LiveKind = 'user' | 'thread' | 'broadcast';

export interface LiveSink {
  /** Fire and forget, in call order. */
  publish(kind: LiveKind, key: string, envelope: string): void;
}

/** The realtime follower as the node's sessions see it. */
export interface LiveFeed {
  /**
   * Resolves once every event up to `position` has been written to the sink (or `ms` passed,
   * or the feed stopped): a session that goes live after it misses nothing older.
   */
  caughtUp(position: number, ms: number): Promise<void>;
}
