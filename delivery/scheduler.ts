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
  /** Runs a pass now (after the current one); resolves when it has handed out what was due. */
  pass(): Promise<void>;
  wake(): void;
  stop(): void;
  /** As of the end of the last pass. */
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

  // One pass handles every timer due at its start, each at most once: it pages through them
  // in order (a keyset cursor), so a timer still in flight, or fired but not yet folded, is
  // read once per pass, not once per page (reading them again made a pass over N due units
  // cost O(N^2) rows while thousands were in flight).
  const runPass = async (): Promise<void> => {
    if (!o.ready()) return;
    // Claims of an earlier run of this node died with it: due now, not when their lease ends.
    o.dispatcher.dispatch((await o.state.units.claimsOfEarlierRuns(o.node, o.run)).filter(live));
    const now = o.clock.now().getTime();
    let after: DueTimer | undefined;
    while (!stopped) {
      const page = await o.state.timers.due(now, pageSize, after);
      after = page[page.length - 1];
      const due = page.filter((t) => !o.dispatcher.inFlight(t.key));
      if (due.length > 0) await fire(due, now);
      if (page.length < pageSize) return;
    }
  };

  // The next timer is often sooner than the next poll (a scheduled message, a short delay):
  // wake for it then.
  const refresh = async (): Promise<void> => {
    const next = await o.state.timers.next();
    stats = { timers: await o.state.timers.count(), nextDue: next?.dueAt, passes: stats.passes + 1 };
    if (next === undefined || stopped) return;
    const delay = next.dueAt - o.clock.now().getTime();
    if (delay <= 0 || delay >= o.pollMs) return;
    clearTimeout(soon);
    soon = setTimeout(() => {
      void pass();
    }, delay);
    soon.unref();
  };

  const pass = (): Promise<void> => {
    queued ??= current
      .then(async () => {
        queued = undefined;
        if (stopped) return;
        await runPass();
        await refresh();
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
      clearTimeout(soon);
    },
    stats: () => stats,
  };
};
