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
  const log = o.log ?? silentLog;
  const run = randomUUID();
  const node = o.node ?? 'local';
  let stopped = false;
  const isStopped = (): boolean => stopped;
  const available: StepChannel[] = ['websocket', ...(Object.keys(o.channels) as DispatchChannel[])];
  const config = triageConfig({ available, ...o.triage });
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
  const triage = createTriageReactor({
    store: o.store,
    state: o.state,
    presence: o.presence,
    clock: o.clock,
    config,
    log,
    afterBatch: wake,
    timersSet,
    stopped: isStopped,
    ...(o.onDeadLetters === undefined ? {} : { onDeadLetters: o.onDeadLetters }),
  });
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
    ...(o.onDeadLetters === undefined ? {} : { onDeadLetters: o.onDeadLetters }),
  });
  const started = Promise.all([triage.start(), dispatch.start()])
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

  const settle = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    const quiet = async (): Promise<void> => {
      await started;
      for (;;) {
        const head = await o.store.head();
        await caughtUp(head);
        await scheduler.pass();
        await dispatcher.idle();
        if (stopped || (await o.store.head()) === head) return;
      }
    };
    if (!(await withTimeout(quiet(), Math.max(0, deadline - Date.now()))))
      throw new Error(`reactors did not settle within ${timeoutMs} ms`);
  };

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
      await Promise.all([triage.stop(), dispatch.stop()]);
    },
    status: () => {
      const s = scheduler.stats();
      return [
        { name: TRIAGE_REACTOR, position: triage.position(), ...stalledOf(triage) },
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
    settle,
  };
};
