import { decideFire, initialTriage } from '../domain/delivery/triage.js';
import { wakeAt } from '../domain/delivery/units.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DueTimer, UnitState } from '../schema/delivery-state.js';
import { reactorAppend } from './append.js';
import type { Dispatcher } from './dispatch.js';
import type { ReactorLog } from './types.js';

// The scheduler polls the durable timers with the Clock port (and is woken when a fold moved
// them, and at the next timer when it is sooner than the poll) and fires what is due: a
// scheduled message becomes MessageDue (the triage workflow's decision, appended with
// 'no_stream', so it happens once however many schedulers race), a step or digest goes to
// dispatch, which queues it and returns. A timer that was due while the broker was down is
// simply due at the next poll: late, and once, because firing it is a guarded append.
//
// The folds wake it after every batch, and under sustained sends that is every commit (issue
// 15): a wake asks the state nothing unless a timer can be due. The folds report the earliest
// due time each commit wrote; with the last pass's `timers.next` that is the earliest timer the
// scheduler knows of (a timer only moves through a fold's commit). A wake passes when that is
// due (or a pass left due timers behind, in flight or waiting for their fold: their timer is
// that `next`), else at most arms the `soon` timer earlier. The poll stays the safety net (a
// timer another node wrote to a shared state, a clock that jumped) and does what needs no
// haste: claims an earlier run of this node left, and the count of timers for the stats.
export interface SchedulerOptions {
  readonly state: DeliveryStateStore;
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

export interface SchedulerStats {
  readonly timers: number;
  readonly nextDue: number | undefined;
  readonly passes: number;
}

export interface Scheduler {
  start(): void;
  /**
   * Runs a full pass now (after the current one): claims of earlier runs, every due timer, the
   * stats. Resolves when it has handed out what was due.
   */
  pass(): Promise<void>;
  /**
   * A fold applied a batch; `earliest`: the earliest due time its commit wrote, if it wrote one.
   * Wakes in one turn of the event loop are looked at once; no query unless a timer can be due.
   */
  wake(earliest?: number): void;
  stop(): void;
  /** `timers` as of the last full pass (the poll's), `nextDue` as of the last pass. */
  stats(): SchedulerStats;
}

export const createScheduler = (o: SchedulerOptions): Scheduler => {
  const append = reactorAppend(o.store, o.clock);
  const pageSize = o.pageSize ?? 1_000;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  let interval: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  let stats: SchedulerStats = { timers: 0, nextDue: undefined, passes: 0 };

  const fireMessage = async (mid: string): Promise<void> => {
    const m = await o.state.directory.message(mid);
    if (m === undefined) return;
    // The stream is expected empty: the append's revision is the check that it still is.
    const intent = decideFire({ mid, status: m.status, scheduled: m.data.scheduled }, initialTriage());
    if (intent.kind !== 'append') return;
    try {
      await append(intent.stream, intent.events, intent.revision, {
        correlationId: m.correlationId,
        causationId: m.eventId,
      });
    } catch (err) {
      o.log.error({ err, mid }, 'could not mark a scheduled message due; will try again');
    }
  };

  const live = (u: UnitState | undefined): u is UnitState =>
    u !== undefined &&
    (u.stage.status === 'pending' || u.stage.status === 'claimed') &&
    !o.dispatcher.inFlight(u.key) &&
    !o.dispatcher.isAhead(u);

  // A group's timer is its earliest step: the steps of it due now go, the others wait for theirs.
  const fire = async (due: readonly DueTimer[], now: number): Promise<void> => {
    const keys = due.filter((t) => t.kind === 'step' || t.kind === 'digest').map((t) => t.key);
    const units = await o.state.units.get(keys);
    // A group this node wrote past the fold waits for the fold (without reading its steps).
    const streams = due.filter((t) => t.kind === 'group').map((t) => t.key);
    const revisions = await o.state.units.groupRevisions(streams);
    const groups = await o.state.units.groups(
      streams.filter((s) => !o.dispatcher.isGroupAhead(s, revisions.get(s) ?? -1)),
    );
    const grouped = [...groups.values()].flatMap((g) => g.filter((u) => (wakeAt(u) ?? Infinity) <= now));
    o.dispatcher.dispatch([...keys.map((k) => units.get(k)), ...grouped].filter(live));
    await Promise.all(due.filter((t) => t.kind === 'publish').map((t) => fireMessage(t.key)));
  };

  // What the scheduler knows of the earliest timer without asking: the last pass's `next`,
  // lowered by each due time reported since. -Infinity: not known (before the first pass, and
  // while the folds replay the backlog), so every wake passes (a pass not ready asks nothing).
  let known = Number.NEGATIVE_INFINITY;
  // Due times reported since the running pass's refresh began: its `next` may have been read
  // before their commit.
  let reported = Number.POSITIVE_INFINITY;
  let soonAt: number | undefined;
  let checking = false;
  let wantFull = false;

  // One pass handles every timer due at its start, each at most once: it pages through them
  // in order (a keyset cursor), so a timer still in flight, or fired but not yet folded, is
  // read once per pass, not once per page (reading them again made a pass over N due units
  // cost O(N^2) rows while thousands were in flight).
  const runPass = async (full: boolean): Promise<number> => {
    // Claims of an earlier run of this node died with it: due now, not when their lease ends.
    // The first full pass once ready finds those the log held at start; the poll's, any that
    // reached the log after (an earlier run's append still on its way when this run started).
    if (full) o.dispatcher.dispatch((await o.state.units.claimsOfEarlierRuns(o.node, o.run)).filter(live));
    const now = o.clock.now().getTime();
    let after: DueTimer | undefined;
    while (!stopped) {
      const page = await o.state.timers.due(now, pageSize, after);
      after = page[page.length - 1];
      const due = page.filter((t) => !o.dispatcher.inFlight(t.key));
      if (due.length > 0) await fire(due, now);
      if (page.length < pageSize) break;
    }
    return now;
  };

  // Past the poll: the poll's pass arms it once it is near. At least a millisecond: a timeout
  // may fire a millisecond before the clock reaches its time, and the pass then finds it not due.
  const armSoon = (at: number): void => {
    const delay = at - o.clock.now().getTime();
    if (stopped || delay >= o.pollMs || (soonAt !== undefined && soonAt <= at)) return;
    clearTimeout(soon);
    soonAt = at;
    soon = setTimeout(
      () => {
        soonAt = undefined;
        void pass(false);
      },
      Math.max(delay, 1),
    );
    soon.unref();
  };

  // The next timer is often sooner than the next poll (a scheduled message, a short delay):
  // wake for it then. One due at the pass's `now` was the pass's (fired, or in flight or waiting
  // for its fold: the fold's commit wakes the scheduler again); one due since was not.
  const refresh = async (full: boolean, passed: number): Promise<void> => {
    reported = Number.POSITIVE_INFINITY;
    const next = await o.state.timers.next();
    known = Math.min(next?.dueAt ?? Number.POSITIVE_INFINITY, reported);
    const timers = full ? await o.state.timers.count() : stats.timers;
    stats = { timers, nextDue: next?.dueAt, passes: stats.passes + 1 };
    if (next !== undefined && next.dueAt > passed) armSoon(next.dueAt);
  };

  const pass = (full: boolean): Promise<void> => {
    if (full) wantFull = true;
    queued ??= current
      .then(async () => {
        queued = undefined;
        // Not ready: no timer may fire yet, and a full pass asked for stays asked for.
        if (stopped || !o.ready()) return;
        const isFull = wantFull;
        wantFull = false;
        await refresh(isFull, await runPass(isFull));
      })
      .catch((err: unknown) => {
        o.log.error({ err }, 'scheduler pass failed');
      });
    current = queued;
    return queued;
  };

  const check = (): void => {
    checking = false;
    if (stopped) return;
    if (known <= o.clock.now().getTime()) void pass(false);
    else armSoon(known);
  };

  return {
    start: () => {
      interval = setInterval(() => {
        void pass(true);
      }, o.pollMs);
      interval.unref();
      void pass(true);
    },
    pass: () => pass(true),
    wake: (earliest) => {
      if (earliest !== undefined) {
        known = Math.min(known, earliest);
        reported = Math.min(reported, earliest);
      }
      if (checking) return;
      checking = true;
      setImmediate(check);
    },
    stop: () => {
      stopped = true;
      clearInterval(interval);
      clearTimeout(soon);
    },
    stats: () => stats,
  };
};
