import type { Database } from 'better-sqlite3';
import type { TimerReads } from '../../ports/delivery-state.js';
import type { DueTimer, TimerChange, TimerKind } from '../../schema/delivery-state.js';

// The durable timers in SQLite, one row per (kind, key), indexed by due time.
interface Row {
  kind: TimerKind;
  key: string;
  due_at: number;
}
const toTimer = (r: Row): DueTimer => ({ kind: r.kind, key: r.key, dueAt: r.due_at });

export const timerReads = (db: Database): TimerReads => {
  const due = db.prepare<[number, number], Row>(
    'SELECT kind, key, due_at FROM timers WHERE due_at <= ? ORDER BY due_at, kind, key LIMIT ?',
  );
  // Keyset paging: the row value comparison walks timers_by_due (which holds the primary key).
  const dueAfter = db.prepare<[number, number, string, string, number], Row>(
    'SELECT kind, key, due_at FROM timers WHERE due_at <= ? AND (due_at, kind, key) > (?, ?, ?) ORDER BY due_at, kind, key LIMIT ?',
  );
  const next = db.prepare<[], Row>('SELECT kind, key, due_at FROM timers ORDER BY due_at LIMIT 1');
  const upcoming = db.prepare<[string, number, number], Row>(
    'SELECT kind, key, due_at FROM timers WHERE kind = ? AND due_at > ? ORDER BY due_at LIMIT ?',
  );
  const count = db.prepare<[], number>('SELECT COUNT(*) FROM timers').pluck();
  return {
    due: (now, limit, after) =>
      Promise.resolve(
        (after === undefined ? due.all(now, limit) : dueAfter.all(now, after.dueAt, after.kind, after.key, limit)).map(
          toTimer,
        ),
      ),
    next: () => {
      const r = next.get();
      return Promise.resolve(r === undefined ? undefined : toTimer(r));
    },
    count: () => Promise.resolve(count.get() ?? 0),
    upcoming: (kind, now, limit) => Promise.resolve(upcoming.all(kind, now, limit).map(toTimer)),
  };
};

/** Sets or clears a timer; call inside the commit's transaction. */
export const timerWriter = (db: Database): ((c: TimerChange) => void) => {
  const set = db.prepare<[string, string, number]>(
    'INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at',
  );
  const clear = db.prepare<[string, string]>('DELETE FROM timers WHERE kind = ? AND key = ?');
  return (c) => {
    if (c.at === null) clear.run(c.kind, c.key);
    else set.run(c.kind, c.key, c.at);
  };
};
