/**
 * Who has a live realtime session right now. The realtime layer implements it (api/ws
 * presence has this shape); unit and integration tests use a fake.
 */
export interface Presence {
  isOnline(uid: string): boolean;
  sessions(uid: string): number;
  /**
   * A number that moves whenever any user's `isOnline` may have changed (a session opened or
   * closed here, a peer's delta, snapshot or departure): equal before and after means every
   * answer is the same, so triage may reuse what it read (delivery/facts-memo.ts). Without it,
   * nothing read from presence is reused.
   */
  version?(): number;
}
