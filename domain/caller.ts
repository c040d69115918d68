import type { UserId } from '../schema/ids.js';

// Who is asking, reduced to the two facts the rules look at. The command layer derives it
// from the authenticated actor (roles including 'admin' make a global admin).
export interface Caller {
  readonly uid: UserId;
  readonly admin: boolean;
}
