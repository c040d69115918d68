import { randomUUID } from 'node:crypto';
import { DISPATCH_EVENTS } from '../domain/delivery/engagement.js';
import { triageConfig } from '../domain/triage/config.js';
import type { StepChannel } from '../domain/triage/types.js';
import type { DeadLetter, Stalled } from '../ports/follower.js';
import type { DispatchChannel } from '../schema/triage-events.js';
import { createDispatcher, DEFAULT_DISPATCH_SETTINGS } from './dispatch.js';
import type { DispatchSettings, Dispatcher } from './dispatch.js';
import { dispatchFold } from './dispatch-fold.js';
import { startFollower } from './follow.js';
import type { FoldsPeer, ReactorOptions, ReactorStatus } from './runner.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { createTriageReactor, TRIAGE_REACTOR } from './triage.js';
import type { ReactorLog } from './types.js';

// Delivery's two parts (runner.ts composes them, on one thread or two): the folds, which follow
// the log into delivery's state, and the sends, which act on the timers that state holds.
export const DISPATCH_REACTOR = 'dispatch';

const stalledOf = (f: { stalled(): Stalled | null }): { stalled?: Stalled } => {
  const s = f.stalled();
  return s === null ? {} : { stalled: s };
};

export const deadLetterHook = (o: ReactorOptions): { onDeadLetters?: (dead: readonly DeadLetter[]) => void } =>
  o.onDeadLetters === undefined ? {} : { onDeadLetters: o.onDeadLetters };

// The folds: triage's (the directory, and the plans it appends) and dispatch's (the units and
// their timers). Each moves its own checkpoint; together they are where the lower one is.
export const startFolds = (
  o: ReactorOptions,
  log: ReactorLog,
  isStopped: () => boolean,
  wake: (earliest?: number) => void,
): FoldsPeer & { start(): Promise<void>; stop(): Promise<void>; status(): ReactorStatus[] } => {
  const afterBatch = (): void => {
    wake();
  };
  const timersSet = (earliest: number): void => {
    wake(earliest);
  };
  const moved = (): void => {
    o.onFoldsPosition?.(Math.min(triage.position(), dispatch.position()));
  };
  const available: StepChannel[] = ['websocket', ...(Object.keys(o.channels) as DispatchChannel[])];
  const triage = createTriageReactor({
    store: o.store,
    state: o.state,
    presence: o.presence,
    clock: o.clock,
    config: triageConfig({ available, ...o.triage }),
    log,
    afterBatch,
    timersSet,
    stopped: isStopped,
    revokeDevice: o.revokeDevice,
    onPosition: moved,
    ...deadLetterHook(o),
  });
  const dispatch = startFollower({
    name: DISPATCH_REACTOR,
    store: o.store,
    state: o.state,
    log,
    afterBatch,
    timersSet,
    onPosition: moved,
    types: DISPATCH_EVENTS,
    fold: dispatchFold,
    clock: o.clock,
    ...deadLetterHook(o),
  });
  return {
    start: async () => {
      await Promise.all([triage.start(), dispatch.start()]);
    },
    stop: async () => {
      await Promise.all([triage.stop(), dispatch.stop()]);
    },
    position: () => Math.min(triage.position(), dispatch.position()),
    caughtUp: async (p) => {
      await Promise.all([triage.caughtUp(p), dispatch.caughtUp(p)]);
    },
    status: () => [
      { name: TRIAGE_REACTOR, position: triage.position(), ...stalledOf(triage) },
      { name: DISPATCH_REACTOR, position: dispatch.position(), ...stalledOf(dispatch) },
    ],
  };
};

// The sends: the scheduler fires due timers, the dispatcher decides the due units and performs them.
export const startSends = (
  o: ReactorOptions,
  log: ReactorLog,
  isStopped: () => boolean,
  ready: () => boolean,
): { scheduler: Scheduler; dispatcher: Dispatcher; status(): ReactorStatus[] } => {
  const run = randomUUID();
  const node = o.node ?? 'local';
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
  return {
    scheduler,
    dispatcher,
    status: () => {
      const s = scheduler.stats();
      return [
        { name: DISPATCH_REACTOR, inFlight: dispatcher.stats().inFlight },
        {
          name: 'scheduler',
          timers: s.timers,
          ...(s.nextDue === undefined ? {} : { nextDue: new Date(s.nextDue).toISOString() }),
        },
      ];
    },
  };
};
