import type { TriageConfigOverrides } from '../domain/triage/config.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryReports, DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter, Stalled } from '../ports/follower.js';
import type { Presence } from '../ports/presence.js';
import type { DispatchSettings } from './dispatch.js';
import { startFolds, startSends } from './parts.js';
import type { Revoke } from './revoke.js';
import type { ChannelMap, ReactorLog } from './types.js';
import { silentLog } from './types.js';

export { DISPATCH_REACTOR } from './parts.js';

// Delivery on one node: the triage and dispatch followers, the scheduler and the dispatcher,
// over the delivery state store the caller opened (app/engines.ts chooses its engine).

export interface ReactorOptions {
  /** The event log the reactors follow and write to. */
  readonly store: EventStore;
  /** Delivery's state (directory, units, timers, checkpoints); the caller opens and closes it. */
  readonly state: DeliveryStateStore;
  /** Who has a live realtime session (the realtime layer's presence). */
  readonly presence: Presence;
  /** The senders, by channel; a channel not given is never planned. */
  readonly channels: ChannelMap;
  /** Revokes a device a provider reports gone: the node's user command (commands/revoke-device.ts). */
  readonly revokeDevice: Revoke;
  /** Every due time is compared with this clock. */
  readonly clock: Clock;
  readonly log?: ReactorLog;
  /** Urgency table, nearline order, digest window, batch size: any field overrides its default. */
  readonly triage?: TriageConfigOverrides;
  readonly dispatch?: Partial<DispatchSettings>;
  /** How often the scheduler polls the timers (default 1000 ms); folds also wake it. */
  readonly pollMs?: number;
  /** This node's stable name: its claims are taken over at once when it restarts (default 'local'). */
  readonly node?: string;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
  /** Events triage or dispatch quarantined as dead letters (for a metric). */
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
  /**
   * Which part runs here (default both): a node may run the folds (triage and dispatch's
   * followers) on one thread and the sends (the scheduler and the dispatcher) on another, over
   * the same state (app/reactors-thread/, MSGXC_REACTORS_THREAD=split). They meet only in the
   * log, the state store, the folds' position and the scheduler's wake, so either part is the
   * same code as when both run here.
   */
  readonly part?: ReactorPart;
  /** Part `sends`: the folds running elsewhere (timers and settle wait for them). */
  readonly foldsPeer?: FoldsPeer;
  /** Part `folds`: a batch was applied (and set timers due at `earliest`): the sends part's scheduler is to wake. */
  readonly onWake?: (earliest?: number) => void;
  /** Part `folds`: the position both folds have applied (the lower of the two), each time it moves. */
  readonly onFoldsPosition?: (position: number) => void;
}

export type ReactorPart = 'both' | 'folds' | 'sends';
/** What a composition passes through to run one part (app/reactors-thread/). */
export type PartOptions = Pick<ReactorOptions, 'part' | 'foldsPeer' | 'onWake' | 'onFoldsPosition'>;

/** The folds of another thread, as the sends part sees them. */
export interface FoldsPeer {
  /** The position both folds have applied. */
  position(): number;
  /** Resolves once both applied the log up to `position` (or stopped). */
  caughtUp(position: number): Promise<void>;
}

export interface ReactorStatus {
  readonly name: string;
  readonly position?: number;
  readonly timers?: number;
  readonly nextDue?: string;
  /** Dispatch: units queued or being sent on this node. */
  readonly inFlight?: number;
  /** Present while the reactor's batch after `position` keeps failing (it is retried). */
  readonly stalled?: Stalled;
}

export interface Reactors {
  /** Stops following the log and firing timers; work in flight is abandoned (its claims lapse). */
  stop(): Promise<void>;
  status(): readonly ReactorStatus[];
  /**
   * Until quiet: both followers have applied the whole log, every timer due now has fired, its
   * sends are done, and nothing new was appended meanwhile. For tests (with a fixed clock) and admin tools.
   */
  settle(timeoutMs?: number): Promise<void>;
  /** Resolves once triage and dispatch have applied the log up to `position`, or after `timeoutMs`, whichever is first. */
  waitFor(position: number, timeoutMs: number): Promise<void>;
  readonly reports: DeliveryReports;
  /** The events triage and dispatch could not decode, kept with their checkpoints. */
  deadLetters(): Promise<readonly DeadLetter[]>;
  /** The folds of another thread applied a batch (which set timers due at `earliest`). */
  wake(earliest?: number): void;
}

const withTimeout = async (work: Promise<unknown>, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** Statuses of the parts in order, one per name: a name reported by both parts merged (dispatch: the fold's position, the dispatcher's work in flight). */
export const mergeStatus = (lists: readonly (readonly ReactorStatus[])[]): ReactorStatus[] => {
  const byName = new Map<string, ReactorStatus>();
  for (const s of lists.flat()) byName.set(s.name, { ...byName.get(s.name), ...s });
  return [...byName.values()];
};

export const startReactors = (o: ReactorOptions): Reactors => {
  const part = o.part ?? 'both';
  if (part === 'sends' && o.foldsPeer === undefined)
    throw new Error("the sends part runs with its folds elsewhere: give it 'foldsPeer'");
  const log = o.log ?? silentLog;
  let stopped = false;
  const isStopped = (): boolean => stopped;
  // Timers wait until both folds have applied the log as it was at start-up.
  let backlog = Number.POSITIVE_INFINITY;
  const sends = part === 'folds' ? undefined : startSends(o, log, isStopped, () => folds.position() >= backlog);
  // After every batch (no query unless a timer can be due), and at each commit that set timers.
  const wake = (earliest?: number): void => {
    if (sends === undefined) o.onWake?.(earliest);
    else sends.scheduler.wake(earliest);
  };
  const local = part === 'sends' ? undefined : startFolds(o, log, isStopped, wake);
  const folds: FoldsPeer = local ?? (o.foldsPeer as FoldsPeer);
  const started = (local?.start() ?? Promise.resolve())
    .then(() => {
      if (!stopped) sends?.scheduler.start();
      return o.store.head();
    })
    .then((head) => {
      backlog = head;
      return folds.caughtUp(head);
    })
    .then(
      () => {
        if (!stopped) void sends?.scheduler.pass();
      },
      (err: unknown) => {
        log.error({ err }, 'delivery could not start following the log; timers stay off until restarted');
      },
    );

  return {
    reports: o.state.reports,
    deadLetters: () => o.state.checkpoints.deadLetters(),
    waitFor: async (position, timeoutMs) => {
      await withTimeout(folds.caughtUp(position), timeoutMs);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      sends?.scheduler.stop();
      await local?.stop();
    },
    status: () => mergeStatus([local?.status() ?? [], sends?.status() ?? []]),
    settle: settleWith(
      o.store,
      started,
      (p) => folds.caughtUp(p),
      async () => {
        await sends?.scheduler.pass();
        await sends?.dispatcher.idle();
      },
      isStopped,
    ),
    wake: (earliest) => {
      sends?.scheduler.wake(earliest);
    },
  };
};

/** Until the folds applied the log as it stood, the sends are done, and nothing new was appended meanwhile. */
const settleWith =
  (
    store: EventStore,
    started: Promise<unknown>,
    caughtUp: (p: number) => Promise<unknown>,
    after: () => Promise<void>,
    stopped: () => boolean,
  ) =>
  async (timeoutMs = 30_000): Promise<void> => {
    const quiet = async (): Promise<void> => {
      await started;
      for (;;) {
        const head = await store.head();
        await caughtUp(head);
        await after();
        if (stopped() || (await store.head()) === head) return;
      }
    };
    if (!(await withTimeout(quiet(), timeoutMs))) throw new Error(`reactors did not settle within ${timeoutMs} ms`);
  };
