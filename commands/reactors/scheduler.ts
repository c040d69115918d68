import type { Database } from 'better-sqlite3';
import type { Clock } from '../../ports/clock.js';
import type { EventStore } from '../../ports/eventstore.js';
import { triageStream } from '../../domain/triage/keys.js';
import { directoryQueries } from '../../projections/deliveries/directory-queries.js';
import { stepQueries } from '../../projections/deliveries/step-queries.js';
import type { StepRow } from '../../projections/deliveries/step-queries.js';
import { timerStatements } from '../../projections/timers/timers.js';
import type { DueTimer } from '../../projections/timers/timers.js';
import { asMessageId } from '../../schema/ids.js';
import { reactorAppend } from './append.js';
import type { Dispatcher } from './dispatch.js';
import type { ReactorLog } from './ports.js';

// The scheduler polls the timers read model with the Clock port (and is woken when a fold
// adds timers) and fires what is due: a scheduled message becomes MessageDue (appended with
// 'no_stream', so it happens once however many schedulers race), a step or digest goes to
// dispatch. A timer that was due while the broker was down is simply due at the next poll:
// late, and once, because firing it is a guarded append, not a callback.
export interface SchedulerOptions {
  readonly db: Database;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly dispatcher: Dispatcher;
  readonly node: string;
  readonly run: string;
  readonly pollMs: number;
  /** Timers handled per query (default 1000). */
  readonly pageSize?: number;
  /**
   * False while the folds replay a backlog: a step must not be judged on receipts that are
   * in the log but not yet folded (after downtime, a message read meanwhile is not pushed).
   */
  readonly ready: () => boolean;
  readonly log: ReactorLog;
}

export interface Scheduler {
  start(): void;
  /** Runs a pass now (after the current one); resolves when it is done. */
  pass(): Promise<void>;
  wake(): void;
  stop(): void;
  stats(): { readonly timers: number; readonly nextDue: number | undefined; readonly passes: number };
}

export const createScheduler = (o: SchedulerOptions): Scheduler => {
  const timers = timerStatements(o.db);
  const steps = stepQueries(o.db);
  const dir = directoryQueries(o.db);
  const append = reactorAppend(o.store, o.clock);
  const pageSize = o.pageSize ?? 1_000;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  let interval: NodeJS.Timeout | undefined;
  let passes = 0;

  const fireMessage = async (mid: string): Promise<void> => {
    const m = dir.message(mid);
    if (m?.data.scheduled === undefined || m.status !== 'scheduled') return;
    try {
      await append(
        triageStream(mid),
        [{ type: 'MessageDue', data: { mid: asMessageId(mid), due: m.data.scheduled } }],
        -1,
        { correlationId: m.correlationId, causationId: m.eventId },
      );
    } catch (err) {
      o.log.error({ err, mid }, 'could not mark a scheduled message due; will try again');
    }
  };

  const live = (row: StepRow | undefined): row is StepRow =>
    row !== undefined && (row.status === 'pending' || row.status === 'claimed') && !o.dispatcher.isAhead(row);

  const fire = async (due: readonly DueTimer[]): Promise<void> => {
    const rows = due
      .filter((t) => t.kind === 'step')
      .map((t) => steps.step(t.key))
      .filter(live);
    const digests = due
      .filter((t) => t.kind === 'digest')
      .map((t) => steps.step(t.key))
      .filter(live);
    await Promise.all([
      ...due.filter((t) => t.kind === 'publish').map((t) => fireMessage(t.key)),
      o.dispatcher.steps(rows),
      ...digests.map((row) => o.dispatcher.digest(row)),
    ]);
  };

  // One pass handles every timer due at its start, each at most once: a fired timer stays in
  // the table until the fold applies what firing wrote, so it is remembered for the pass.
  const runPass = async (): Promise<void> => {
    if (!o.ready()) return;
    passes += 1;
    // Claims of an earlier run of this node died with it: due now, not when their lease ends.
    for (const row of steps.claimsOfEarlierRuns(o.node, o.run))
      timers.set(row.kind === 'digest' ? 'digest' : 'step', row.key, 0);
    const now = o.clock.now().getTime();
    const handled = new Set<string>();
    while (!stopped) {
      const due = timers
        .due(now, pageSize + handled.size)
        .filter((t) => !handled.has(`${t.kind}:${t.key}`))
        .slice(0, pageSize);
      if (due.length === 0) return;
      for (const t of due) handled.add(`${t.kind}:${t.key}`);
      await fire(due);
    }
  };

  const pass = (): Promise<void> => {
    queued ??= current
      .then(() => {
        queued = undefined;
        return stopped ? undefined : runPass();
      })
      .catch((err: unknown) => {
        o.log.error({ err }, 'scheduler pass failed');
      });
    current = queued;
    return queued;
  };

  return {
    start: () => {
      interval = setInterval(() => {
        void pass();
      }, o.pollMs);
      interval.unref();
      void pass();
    },
    pass,
    wake: () => {
      void pass();
    },
    stop: () => {
      stopped = true;
      clearInterval(interval);
    },
    stats: () => ({ timers: timers.count(), nextDue: timers.next()?.dueAt, passes }),
  };
};
