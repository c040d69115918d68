// Durable timers: every time at which a reactor must act, indexed by when. A timer is not an
// event of its own but a time named by an event (a message's `scheduled`, a planned step's
// `at`, a claim's lease, a retry's `at`, a digest window's end); the folds that read those
// events keep this table, so it can be dropped and rebuilt from the log like any read model.
//
// kind: 'publish' (key = mid): a scheduled message becomes due -> MessageDue
//       'step'    (key = step key): a planned delivery step, a retry, or a lapsed claim
//       'digest'  (key = digest key): a digest window closes
export const TIMER_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS timers (
     kind TEXT NOT NULL, key TEXT NOT NULL, due_at INTEGER NOT NULL,
     PRIMARY KEY (kind, key)
   ) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS timers_by_due ON timers (due_at)',
];

export const TIMER_TABLES: readonly string[] = ['timers'];

export type TimerKind = 'publish' | 'step' | 'digest';
