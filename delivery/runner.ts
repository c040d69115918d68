import { randomUUID } from 'node:crypto';
import { DISPATCH_EVENTS } from '../domain/delivery/engagement.js';
import { triageConfig } from '../domain/triage/config.js';
import type { TriageConfigOverrides } from '../domain/triage/config.js';
import type { StepChannel } from '../domain/triage/types.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryReports, DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import type { DeadLetter, Stalled } from '../ports/follower.js';
import type { Presence } from '../ports/presence.js';
import type { DispatchChannel } from '../schema/triage-events.js';
import { createDispatcher, DEFAULT_DISPATCH_SETTINGS } from './dispatch.js';
import type { DispatchSettings } from './dispatch.js';
import { dispatchFold } from './dispatch-fold.js';
import { startFollower } from './follow.js';
import type { Revoke } from './revoke.js';
import { createScheduler } from './scheduler.js';
import { createTriageReactor, TRIAGE_REACTOR } from './triage.js';
import type { ChannelMap, ReactorLog } from './types.js';
import { silentLog } from './types.js';

// Delivery on one node: the triage and dispatch followers, the scheduler and the dispatcher,
// over the delivery state store the caller opened (app/engines.ts chooses its engine).
export const DISPATCH_REACTOR = 'dispatch';

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
   * Which part runs here (default both): a node may run triage on one thread and dispatch with
   * the scheduler on another, over the same state (app/reactors-thread/, MSGXC_REACTORS_THREAD=split).
   * They meet only in the log, the state store and the scheduler's wake, so either part is the
   * same code as when both run here.
   */
  readonly part?: ReactorPart;
  /** Part `dispatch`: the triage follower running elsewhere (timers and settle wait for it too). */
  readonly triagePeer?: TriagePeer;
  /** Part `triage`: triage set timers due at `earliest` (the dispatch part's scheduler is to wake). */
  readonly onTimersSet?: (earliest: number) => void;
  /** Part `triage`: each time its position moves (what the dispatch part's `triagePeer` reads). */
  readonly onTriagePosition?: (position: number) => void;
}

export type ReactorPart = 'both' | 'triage' | 'dispatch';
/** What a composition passes through to run one part (app/reactors-thread/). */
export type PartOptions = Pick<ReactorOptions, 'part' | 'triagePeer' | 'onTimersSet' | 'onTriagePosition'>;

/** The triage follower of another thread, as the dispatch part sees it. */
export interface TriagePeer {
  position(): number;
  /** Resolves once that triage applied the log up to `position` (or stopped). */
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

const stalledOf = (f: { stalled(): Stalled | null }): { stalled?: Stalled } => {
  const s = f.stalled();
  return s === null ? {} : { stalled: s };
};

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
  /** Timers were set elsewhere (the triage part on another thread), the earliest due then. */
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

export const startReactors = (o: ReactorOptions): Reactors => {
  const part = o.part ?? 'both';
  if (part === 'dispatch' && o.triagePeer === undefined)
    throw new Error("the dispatch part runs with its triage elsewhere: give it 'triagePeer'");
  return part === 'triage' ? startTriagePart(o) : startDispatchPart(o, part);
};

const configOf = (o: ReactorOptions): ReturnType<typeof triageConfig> => {
  const available: StepChannel[] = ['websocket', ...(Object.keys(o.channels) as DispatchChannel[])];
  return triageConfig({ available, ...o.triage });
};

const deadLetterHook = (o: ReactorOptions): { onDeadLetters?: (dead: readonly DeadLetter[]) => void } =>
  o.onDeadLetters === undefined ? {} : { onDeadLetters: o.onDeadLetters };

/** Until the followers applied the log as it stood, and nothing new was appended meanwhile. */
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

// Triage alone: the directory fold and the plans; its timers are fired by the dispatch part's scheduler.
const startTriagePart = (o: ReactorOptions): Reactors => {
  let stopped = false;
  const triage = createTriageReactor({
    store: o.store,
    state: o.state,
    presence: o.presence,
    clock: o.clock,
    config: configOf(o),
    log: o.log ?? silentLog,
    stopped: () => stopped,
    ...(o.onTimersSet === undefined ? {} : { timersSet: o.onTimersSet }),
    ...(o.onTriagePosition === undefined ? {} : { onPosition: o.onTriagePosition }),
    ...deadLetterHook(o),
  });
  const started = triage.start();
  return {
    reports: o.state.reports,
    deadLetters: () => o.state.checkpoints.deadLetters(),
    waitFor: async (position, timeoutMs) => {
      await withTimeout(triage.caughtUp(position), timeoutMs);
    },
    stop: async () => {
      stopped = true;
      await triage.stop();
    },
    status: () => [{ name: TRIAGE_REACTOR, position: triage.position(), ...stalledOf(triage) }],
    settle: settleWith(
      o.store,
      started,
      (p) => triage.caughtUp(p),
      () => Promise.resolve(),
      () => stopped,
    ),
    wake: () => undefined,
  };
};

// Dispatch with the scheduler, and triage too unless it runs elsewhere (`triagePeer`).
const startDispatchPart = (o: ReactorOptions, part: 'both' | 'dispatch'): Reactors => {
  const log = o.log ?? silentLog;
  const run = randomUUID();
  const node = o.node ?? 'local';
  let stopped = false;
  const isStopped = (): boolean => stopped;
  const base: DispatchSettings = { ...DEFAULT_DISPATCH_SETTINGS, ...o.dispatch };
  // A call is abandoned when its claim's lease ends, unless told otherwise.
  const settings: DispatchSettings = { ...base, callTimeoutMs: o.dispatch?.callTimeoutMs ?? base.leaseMs };

  const dispatcher = createDispatcher({
    state: o.state,
    store: o.store,
    clock: o.clock,
    channels: o.channels,
    settings,
    node,
    run,
    random: o.random ?? Math.random,
    revokeDevice: o.revokeDevice,
    log,
    stopped: isStopped,
  });
  // Timers wait until both folds have applied the log as it was at start-up.
  let backlog = Number.POSITIVE_INFINITY;
  const ready = (): boolean => triage.position() >= backlog && dispatch.position() >= backlog;
  const scheduler = createScheduler({
    state: o.state,
    store: o.store,
    clock: o.clock,
    dispatcher,
    node,
    run,
    pollMs: o.pollMs ?? 1_000,
    log,
    ready,
  });
  // After every batch (no query unless a timer can be due), and at each commit that set timers.
  const wake = (): void => {
    scheduler.wake();
  };
  const timersSet = (earliest: number): void => {
    scheduler.wake(earliest);
  };
  const local =
    part === 'both'
      ? createTriageReactor({
          store: o.store,
          state: o.state,
          presence: o.presence,
          clock: o.clock,
          config: configOf(o),
          log,
          afterBatch: wake,
          timersSet,
          stopped: isStopped,
          ...deadLetterHook(o),
        })
      : undefined;
  const triage: TriagePeer = local ?? (o.triagePeer as TriagePeer);
  const dispatch = startFollower({
    name: DISPATCH_REACTOR,
    store: o.store,
    state: o.state,
    log,
    afterBatch: wake,
    timersSet,
    types: DISPATCH_EVENTS,
    fold: dispatchFold,
    clock: o.clock,
    ...deadLetterHook(o),
  });
  const started = Promise.all([local?.start(), dispatch.start()])
    .then(() => {
      if (!stopped) scheduler.start();
      return o.store.head();
    })
    .then((head) => {
      backlog = head;
      return Promise.all([triage.caughtUp(head), dispatch.caughtUp(head)]);
    })
    .then(
      () => {
        if (!stopped) void scheduler.pass();
      },
      (err: unknown) => {
        log.error({ err }, 'delivery could not start following the log; timers stay off until restarted');
      },
    );

  const caughtUp = (position: number): Promise<unknown> =>
    Promise.all([triage.caughtUp(position), dispatch.caughtUp(position)]);

  return {
    reports: o.state.reports,
    deadLetters: () => o.state.checkpoints.deadLetters(),
    waitFor: async (position, timeoutMs) => {
      await withTimeout(caughtUp(position), timeoutMs);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      scheduler.stop();
      await Promise.all([local?.stop(), dispatch.stop()]);
    },
    status: () => {
      const s = scheduler.stats();
      return [
        ...(local === undefined ? [] : [{ name: TRIAGE_REACTOR, position: local.position(), ...stalledOf(local) }]),
        {
          name: DISPATCH_REACTOR,
          position: dispatch.position(),
          inFlight: dispatcher.stats().inFlight,
          ...stalledOf(dispatch),
        },
        {
          name: 'scheduler',
          timers: s.timers,
          ...(s.nextDue === undefined ? {} : { nextDue: new Date(s.nextDue).toISOString() }),
        },
      ];
    },
    settle: settleWith(
      o.store,
      started,
      caughtUp,
      async () => {
        await scheduler.pass();
        await dispatcher.idle();
      },
      isStopped,
    ),
    wake: (earliest) => {
      scheduler.wake(earliest);
    },
  };
};
