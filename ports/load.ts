// What a node measures of its own load, to refuse new writes before it is overwhelmed
// (api/shedding.ts): how much waits on the log, and how late the event loop runs.
export interface LoadSignals {
  /** Appends handed to the log and not yet answered (queued for a commit, or in flight to the server). */
  appendsInFlight(): number;
  /** How late the event loop has been running lately, in milliseconds (0 when idle). */
  eventLoopLagMs(): number;
}

/** A source of the event-loop lag that samples in the background until stopped. */
export interface EventLoopLag {
  lagMs(): number;
  stop(): void;
}
