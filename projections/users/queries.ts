import type { Database } from 'better-sqlite3';

export interface UserQueries {
  userCount(): number;
  /** Position at which `uid` became known, or undefined for a user the broker never saw. */
  firstPosition(uid: string): number | undefined;
}

export const userQueries = (db: Database): UserQueries => {
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM users');
  const first = db.prepare<[string], { first_position: number }>('SELECT first_position FROM users WHERE uid = ?');
  return {
    userCount: () => count.get()?.n ?? 0,
    firstPosition: (uid) => first.get(uid)?.first_position,
  };
};
