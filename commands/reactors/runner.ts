import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../ports/clock.js';
import type { EventStore } from '../../ports/eventstore.js';
import { triageConfig } from '../../domain/triage/config.js';
import type { TriageConfigOverrides } from '../../domain/triage/config.js';
import type { StepChannel } from '../../domain/triage/types.js';
import { ensureReactorModels, openReactorDb } from '../../projections/deliveries/tables.js';
import { createCommands } from '../index.js';
import type { RevokeDevice } from '../revoke-device.js';
import { createDispatcher, DEFAULT_DISPATCH_SETTINGS } from './dispatch.js';
import type { DispatchSettings } from './dispatch.js';
import { startLogReactor } from './log-reactor.js';
import type { ChannelMap, ReactorLog } from './ports.js';
import type { Presence } from '../../ports/presence.js';
import { silentLog } from './ports.js';
import { createScheduler } from './scheduler.js';
import { stepsFold } from '../../projections/deliveries/steps.js';
import { createTriageReactor, TRIAGE_REACTOR } from './triage.js';

export const DISPATCH_REACTOR = 'dispatch';
export const REACTORS_FILE = 'reactors.db';

export interface ReactorOptions {
  /** The event log the reactors follow and write to. */
  readonly store: EventStore;
  /**
   * The reactors' read models (directory, deliveries, timers), e.g. from `openReactorDb` when the
   * caller also serves reports from them (projections/deliveries/reports.ts). Default:
   * `<dataDir>/reactors.db`, opened and closed here.
   */
  readonly readModels?: Database;
  /** Where reactors.db lives when `readModels` is not given. */
  readonly dataDir: string;
  /** Who has a live realtime session (the realtime layer's presence). */
  readonly presence: Presence;
  /** The senders, by channel; a channel not given is never planned. */
  readonly channels: ChannelMap;
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
  /** Revokes a device a provider reports gone (default: the user command on `store`). */
  readonly revokeDevice?: RevokeDevice;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

export interface ReactorStatus {
  readonly name: string;
  readonly position?: number;
  readonly timers?: number;
  readonly nextDue?: string;
}

export interface Reactors {
  /** Stops following the log and firing timers; work in flight is abandoned (its claims lapse). Closes reactors.db if it opened it. */
  stop(): Promise<void>;
  status(): readonly ReactorStatus[];
  /**
   * Until quiet: both reactors have applied the whole log, every timer due now has fired,
   * and nothing new was appended meanwhile. For tests (with a fixed clock) and admin tools.
   */
  settle(timeoutMs?: number): Promise<void>;
  /** Resolves once triage and dispatch have applied the log up to `position`, or after `timeoutMs`, whichever is first. */
  waitFor(position: number, timeoutMs: number): Promise<void>;
  readonly db: Database;
}

export const startReactors = (o: ReactorOptions): Reactors => {
  const log = o.log ?? silentLog;
  const db = o.readModels ?? openReactorDb(join(o.dataDir, REACTORS_FILE));
  ensureReactorModels(db);
  const run = randomUUID();
  const node = o.node ?? 'local';
  let stopped = false;
  const available: StepChannel[] = ['websocket', ...(Object.keys(o.channels) as StepChannel[])];
  const config = triageConfig({ available, ...o.triage });
  const settings: DispatchSettings = { ...DEFAULT_DISPATCH_SETTINGS, ...o.dispatch };
  const revokeDevice = o.revokeDevice ?? createCommands({ store: o.store, ids: { randomId: randomUUID } }).revokeDevice;

  const dispatcher = createDispatcher({
    db,
    store: o.store,
    clock: o.clock,
    channels: o.channels,
    settings,
    node,
    run,
    random: o.random ?? Math.random,
    revokeDevice,
    log,
    stopped: () => stopped,
  });
  // Timers wait until both folds have applied the log as it was at start-up.
  let backlog = Number.POSITIVE_INFINITY;
  const ready = (): boolean => triage.position() >= backlog && dispatch.position() >= backlog;
  const scheduler = createScheduler({
    db,
    store: o.store,
    clock: o.clock,
    dispatcher,
    node,
    run,
    pollMs: o.pollMs ?? 1_000,
    log,
    ready,
  });
  const triage = createTriageReactor({
    store: o.store,
    db,
    presence: o.presence,
    clock: o.clock,
    config,
    log,
    afterBatch: () => {
      scheduler.wake();
    },
  });
  const fold = stepsFold(db);
  const dispatch = startLogReactor({
    name: DISPATCH_REACTOR,
    store: o.store,
    db,
    log,
    afterBatch: () => {
      scheduler.wake();
    },
    types: new Set([
      'MessageTriaged',
      'DeliveryAttempted',
      'DeliverySucceeded',
      'DeliveryFailed',
      'DeliveryRetryScheduled',
      'DeliveryGivenUp',
      'DeliverySkipped',
      'MessagesAcknowledged',
      'LastReadMarked',
      'MessageCancelled',
      'MessageRetracted',
    ]),
    fold: (event, at) => {
      fold(event, at);
      return undefined;
    },
  });
  triage.start();
  dispatch.start();
  scheduler.start();
  const started = o.store
    .head()
    .then((head) => {
      backlog = head;
      return Promise.all([triage.caughtUp(head), dispatch.caughtUp(head)]);
    })
    .then(
      () => {
        if (!stopped) scheduler.wake();
      },
      (err: unknown) => {
        log.error({ err }, 'reactors could not read the head of the log; timers stay off until restarted');
      },
    );

  const settle = async (timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    await started;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`reactors did not settle within ${timeoutMs} ms`);
      const head = await o.store.head();
      await Promise.all([triage.caughtUp(head), dispatch.caughtUp(head)]);
      await scheduler.pass();
      if (stopped || (await o.store.head()) === head) return;
    }
  };

  const waitFor = async (position: number, timeoutMs: number): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      await Promise.race([Promise.all([triage.caughtUp(position), dispatch.caughtUp(position)]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    db,
    waitFor,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      scheduler.stop();
      await Promise.all([triage.stop(), dispatch.stop()]);
      if (o.readModels === undefined) db.close();
    },
    status: () => {
      const s = scheduler.stats();
      return [
        { name: TRIAGE_REACTOR, position: triage.position() },
        { name: DISPATCH_REACTOR, position: dispatch.position() },
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
