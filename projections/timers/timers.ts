import type { Database } from 'better-sqlite3';
import type { TimerKind } from './tables.js';

export interface DueTimer {
  readonly kind: TimerKind;
  readonly key: string;
  readonly dueAt: number;
}

export interface Timers {
  /** Sets (or moves) a timer. */
  set(kind: TimerKind, key: string, dueAt: number): void;
  clear(kind: TimerKind, key: string): void;
  /** Timers due at `now`, earliest first. */
  due(now: number, limit: number): DueTimer[];
  /** The earliest timer, due or not. */
  next(): DueTimer | undefined;
  /** Timers of one kind due after `now`, earliest first (the "upcoming" report). */
  upcoming(kind: TimerKind, now: number, limit: number): DueTimer[];
  count(): number;
}

interface Row {
  kind: TimerKind;
  key: string;
  due_at: number;
}
const toTimer = (r: Row): DueTimer => ({ kind: r.kind, key: r.key, dueAt: r.due_at });

export const timerStatements = (db: Database): Timers => {
  const set = db.prepare<[string, string, number]>(
    'INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at',
  );
  const clear = db.prepare<[string, string]>('DELETE FROM timers WHERE kind = ? AND key = ?');
  const due = db.prepare<[number, number], Row>(
    'SELECT kind, key, due_at FROM timers WHERE due_at <= ? ORDER BY due_at LIMIT ?',
  );
  const next = db.prepare<[], Row>('SELECT kind, key, due_at FROM timers ORDER BY due_at LIMIT 1');
  const upcoming = db.prepare<[string, number, number], Row>(
    'SELECT kind, key, due_at FROM timers WHERE kind = ? AND due_at > ? ORDER BY due_at LIMIT ?',
  );
  const count = db.prepare<[], number>('SELECT COUNT(*) FROM timers').pluck();
  return {
    set: (kind, key, dueAt) => {
      set.run(kind, key, dueAt);
    },
    clear: (kind, key) => {
      clear.run(kind, key);
    },
    due: (now, limit) => due.all(now, limit).map(toTimer),
    next: () => {
      const r = next.get();
      return r === undefined ? undefined : toTimer(r);
    },
    upcoming: (kind, now, limit) => upcoming.all(kind, now, limit).map(toTimer),
    count: () => count.get() ?? 0,
  };
};
