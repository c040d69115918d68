// The bus carries realtime fan-out between broker nodes. Subjects name who a payload is for:
//   msgxc.user.<uid>      frames and membership changes for one user's sessions
//   msgxc.thread.<tid>    frames for every session subscribed to a thread
//   msgxc.broadcast       frames for every session
//   msgxc.presence.<node> a node's presence deltas and heartbeats
//   msgxc.control.<node>  notices between nodes (e.g. "I was cut off: resync your sessions")
//   msgxc.reactors.<node> a delivery process's heartbeats (delivery/roster.ts: throttles share their limit)
// A node subscribes ONCE per kind (a wildcard), never once per socket, and fans out to its own
// sockets locally (uWS topics). Delivery is at most once and in publish order per publisher:
// anything lost is recovered by clients resuming from the log, which is the source of truth.
export type TopicKind = 'user' | 'thread' | 'broadcast' | 'presence' | 'control' | 'reactors';

/** `key` is the uid, tid or node id ('' for broadcast); `payload` is opaque text. */
export type BusHandler = (key: string, payload: string) => void;

export interface BusSubscription {
  close(): Promise<void>;
}

export interface Bus {
  /** Fire and forget; payloads from one node arrive at every subscriber in publish order. */
  publish(kind: TopicKind, key: string, payload: string): void;
  /** One handler per kind and node; it also receives this node's own publications. */
  subscribe(kind: TopicKind, handler: BusHandler): BusSubscription;
  /** Resolves once the server has everything this node published or subscribed so far (in-process: at once). */
  flush(): Promise<void>;
  /**
   * Called after the node's connection came back from an interruption: publications from or
   * to this node in between may be lost, so sessions must resync from the log.
   */
  onInterrupted(listener: () => void): () => void;
  close(): Promise<void>;
}
