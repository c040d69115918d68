// Snapshots of delivery's state (reactors.db: directory, units, timers and the followers'
// checkpoints in one file), kept where every reactor process of a deployment reaches them, so
// a new process starts from the newest one and follows the log from its checkpoints instead
// of replaying the whole log (app/reactors-snapshots.ts, docs/production.md).
//
// At most one snapshot is kept: `put` replaces the one before. A snapshot holds personal data
// (contact points, device tokens); after an erasure the stored one is deleted (`clear`) and a
// new one taken once the erasure is applied (docs/gdpr.md).

export interface StateSnapshotInfo {
  /** The log position every checkpoint in the snapshot has reached (the smallest of them). */
  readonly position: number;
  readonly takenAt: string;
  /** As stored (an engine may compress it). */
  readonly bytes: number;
}

export interface StateSnapshots {
  /** The stored snapshot's description, or undefined when there is none. */
  newest(): Promise<StateSnapshotInfo | undefined>;
  /** Stores the file as the snapshot, replacing the one before. */
  put(file: string, info: Omit<StateSnapshotInfo, 'bytes'>): Promise<StateSnapshotInfo>;
  /** Writes the stored snapshot to `file` (created); its description, or undefined when there is none. */
  restore(file: string): Promise<StateSnapshotInfo | undefined>;
  /** Deletes the stored snapshot. */
  clear(): Promise<void>;
  close(): Promise<void>;
}
