// A debug trace of one message's way through a node (issue 15 "trace one message"): the HTTP
// route, the command, the log's commit, the live follower and the fan-out each mark the stage
// they reached for the message's id. app/trace.ts implements it when MSGXC_TRACE_LATENCY is
// set; otherwise nothing is wired and the hot paths pay one `undefined` check at most.
export type TraceStage =
  | 'received' // the request's first byte was parsed (uWS called the route)
  | 'decoded' // body read and JSON parsed
  | 'handler' // the route's handler is called (after the request's turn, rate limits, recognition)
  | 'append' // the command asked the log to append the message's event
  | 'committed' // the log committed (fsynced) the batch holding it
  | 'appended' // the append's promise settled in the command
  | 'replied' // the HTTP answer was written
  | 'live' // the live follower handed the message's frame to the fan-out
  | 'fanout'; // app.publish returned: uWS queued the frame for every subscribed socket (it writes them at its next loop handler)

export interface Trace {
  /** Message `mid` reached `stage` now, or at `at` (performance.now()). */
  mark(mid: string, stage: TraceStage, at?: number): void;
}
