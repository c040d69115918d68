/**
 * Who has a live realtime session right now. The realtime layer implements it (api/ws
 * presence has this shape); unit and integration tests use a fake.
 */
export interface Presence {
  isOnline(uid: string): boolean;
  sessions(uid: string): number;
}
