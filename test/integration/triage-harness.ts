import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Channel, Delivery, Outcome, Recipient, RecipientOf } from '../../ports/channel.js';
import { fixedClock } from '../../adapters/clock/clock.js';
import type { EventStore, RecordedEvent } from '../../ports/eventstore.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { createCommands } from '../../commands/index.js';
import type { CommandSide } from '../../commands/index.js';
import type { CommandContext, CommandResult } from '../../commands/types.js';
import type { ChannelMap } from '../../delivery/types.js';
import type { Presence } from '../../ports/presence.js';
import { openSqliteDeliveryState } from '../../adapters/delivery-state/sqlite.js';
import type { DeliveryStateStore } from '../../ports/delivery-state.js';
import { mergeStatus, startReactors } from '../../delivery/runner.js';
import type { ReactorOptions, Reactors } from '../../delivery/runner.js';
import type { DispatchChannel } from '../../schema/triage-events.js';
import { TriageEvent } from '../../schema/triage-events.js';
import { expandDeliveries, isBatchDelivery } from '../../domain/delivery/batches.js';

// The triage reactors against the real embedded log (SQLite files in a temp dir), a fixed
// clock, a fake presence and recording channels. The recording channel is a test double of
// OUR Channel port (the real adapters have their own tests); it answers each delivery with
// an outcome chosen by the test, or never answers (a provider call the process died in).
export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;

export interface Recorded {
  readonly id: string;
  readonly attempt: number;
  readonly to: Recipient;
  readonly mids: readonly string[];
}

export interface RecordingChannel<K extends DispatchChannel = DispatchChannel> extends Channel<RecipientOf<K>> {
  readonly calls: Recorded[];
  /** Chooses each delivery's outcome (default: delivered). */
  answer: (d: Delivery<RecipientOf<K>>) => Outcome;
  /** From this call on (0-based), never answer: the process "dies" inside the provider call. */
  hangFrom: number;
  batches: number;
  /** Deliveries per call, in call order. */
  readonly sizes: number[];
}

export const recordingChannel = <K extends DispatchChannel>(kind: K): RecordingChannel<K> => {
  const ch: RecordingChannel<K> = {
    kind: kind as RecordingChannel<K>['kind'],
    provider: 'recording',
    calls: [],
    answer: () => ({ kind: 'delivered' }),
    hangFrom: Number.POSITIVE_INFINITY,
    batches: 0,
    sizes: [],
    deliver: (batch) => {
      const n = ch.batches++;
      ch.sizes.push(batch.length);
      for (const d of batch) {
        ch.calls.push({
          id: d.id,
          attempt: d.attempt,
          to: d.to,
          mids: d.content.kind === 'message' ? [d.content.message.mid] : d.content.messages.map((m) => m.mid),
        });
      }
      if (n >= ch.hangFrom) return new Promise<readonly Outcome[]>(() => undefined);
      return Promise.resolve(batch.map((d) => ch.answer(d)));
    },
    close: () => Promise.resolve(),
  };
  return ch;
};

// Its version moves with every change of `online`, as the realtime layer's does (ports/presence.ts),
// so triage's reuse of a thread page's facts (delivery/facts-memo.ts) runs in every test here.
export const fakePresence = (): Presence & { readonly online: Set<string> } => {
  let version = 0;
  class Tracked extends Set<string> {
    override add(uid: string): this {
      version += 1;
      return super.add(uid);
    }
    override delete(uid: string): boolean {
      version += 1;
      return super.delete(uid);
    }
    override clear(): void {
      version += 1;
      super.clear();
    }
  }
  const online = new Tracked();
  return {
    online,
    isOnline: (uid) => online.has(uid),
    sessions: (uid) => (online.has(uid) ? 1 : 0),
    version: () => version,
  };
};

export const ctx = (uid: string, now: Date, admin = false): CommandContext => ({
  actor: { uid, roles: admin ? ['admin'] : [] },
  now,
  correlationId: `corr-${randomUUID()}`,
});

export const ok = async <T>(r: Promise<CommandResult<T>>): Promise<T> => {
  const result = await r;
  if (result._tag === 'Left') throw new Error(`command failed: ${JSON.stringify(result.left)}`);
  return result.right;
};

export const subscription = (n: string) => ({
  endpoint: `https://fcm.googleapis.com/fcm/send/${n}`,
  keys: { p256dh: 'BPk1', auth: 'aXV0aA' },
});

export interface World {
  readonly dir: string;
  store: EventStore;
  commands: CommandSide;
  readonly clock: ReturnType<typeof fixedClock>;
  readonly presence: ReturnType<typeof fakePresence>;
  // MQTT is left out: a world with it would plan a topic step for every recipient, which the
  // triage tests here do not count on (test/e2e/mqtt-delivery.e2e.test.ts covers it).
  channels: { -readonly [K in Exclude<DispatchChannel, 'mqtt'>]: RecordingChannel<K> };
  /** Delivery's state (reactors.db in the temp dir), reopened by restart(). */
  state: DeliveryStateStore;
  reactors: Reactors;
  now(): Date;
  /** Stops the reactors and closes the log, as a process that dies would leave them (the files stay). */
  crash(): Promise<void>;
  /** New store, commands and reactors on the same files; new channels unless `keep`; `options` replace the world's. */
  restart(keep?: boolean, options?: Partial<ReactorOptions>): Promise<void>;
  events(type?: string): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

const freshChannels = (): World['channels'] => ({
  webpush: recordingChannel('webpush'),
  fcm: recordingChannel('fcm'),
  apns: recordingChannel('apns'),
  email: recordingChannel('email'),
  sms: recordingChannel('sms'),
});

// MSGXC_TEST_REACTORS=split (set by the *-split.int.test.ts files before they import a suite):
// every world runs delivery as two parts, the folds (triage's and dispatch's followers) and the
// sends (scheduler, dispatcher), each on a connection of its own to reactors.db, as an embedded
// node's two delivery threads do (MSGXC_REACTORS_THREAD=split, app/reactors-thread/): here on one
// event loop, with the folds' position and wakes passed directly instead of through shared memory.
const SPLIT = process.env['MSGXC_TEST_REACTORS'] === 'split';

const startSplit = (o: ReactorOptions, foldsState: DeliveryStateStore): Reactors => {
  const wakes: { sends?: Reactors } = {};
  const folds = startReactors({
    ...o,
    state: foldsState,
    part: 'folds',
    onWake: (earliest) => {
      wakes.sends?.wake(earliest);
    },
  });
  const position = (): number => Math.min(...folds.status().map((s) => s.position ?? 0));
  const sends = startReactors({
    ...o,
    part: 'sends',
    foldsPeer: { position, caughtUp: (p) => folds.waitFor(p, 2 ** 31 - 1) },
  });
  wakes.sends = sends;
  return {
    ...sends,
    status: () => mergeStatus([folds.status(), sends.status()]),
    stop: async () => {
      await sends.stop();
      await folds.stop();
      await foldsState.close();
    },
  };
};

export const world = (
  options: Partial<Omit<ReactorOptions, 'store' | 'state' | 'clock' | 'presence' | 'channels' | 'revokeDevice'>> = {},
  /** Puts something between the world and its log (e.g. a production engine's refusals). */
  wrapStore: (store: EventStore) => EventStore = (store) => store,
): World => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-triage-'));
  const clock = fixedClock(T0);
  const presence = fakePresence();
  const open = (): EventStore => wrapStore(createSqliteEventStore({ file: join(dir, 'events.db') }));
  const openState = (): DeliveryStateStore => openSqliteDeliveryState(join(dir, 'reactors.db'));
  const start = (
    store: EventStore,
    state: DeliveryStateStore,
    channels: ChannelMap,
    more: Partial<ReactorOptions> = {},
  ): Reactors => {
    const o: ReactorOptions = {
      store,
      state,
      // The node's own command, as app/delivery.ts passes it.
      revokeDevice: (...args) => w.commands.revokeDevice(...args),
      clock,
      presence,
      channels,
      pollMs: 60_000,
      random: () => 0.5,
      ...options,
      ...more,
    };
    return SPLIT && o.part === undefined ? startSplit(o, openState()) : startReactors(o);
  };
  const store = open();
  const state = openState();
  const channels = freshChannels();
  const w: World = {
    dir,
    store,
    clock,
    presence,
    channels,
    state,
    commands: createCommands({ store, ids: createIdGenerator() }),
    reactors: start(store, state, channels),
    now: () => clock.now(),
    crash: async () => {
      await w.reactors.stop();
      await w.state.close();
      await w.store.close();
    },
    restart: (keep = false, more = {}) => {
      w.store = open();
      w.state = openState();
      w.commands = createCommands({ store: w.store, ids: createIdGenerator() });
      if (!keep) w.channels = freshChannels();
      w.reactors = start(w.store, w.state, w.channels, more);
      return Promise.resolve();
    },
    events: async (type) => {
      const all = (await w.store.readAll({ after: 0, limit: 1_000_000 })).flatMap(expandRecorded);
      return type === undefined ? [...all] : all.filter((e) => e.type === type);
    },
    close: async () => {
      await w.reactors.stop();
      await w.state.close();
      await w.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return w;
};

export const types = async (w: World, stream: string): Promise<string[]> =>
  (await w.store.read(stream)).map((e) => e.type);

/**
 * A recorded event as the per-unit facts it stands for: a batched delivery event
 * (DeliveriesClaimed, DeliveriesSent, DeliveriesSkipped) expands through the same function
 * every reader of the log uses (domain/delivery/batches.ts), each part at the batch's position.
 */
export const expandRecorded = (e: RecordedEvent): RecordedEvent[] => {
  const decoded = TriageEvent.decode({ type: e.type, data: e.data });
  if (decoded._tag === 'Left' || !isBatchDelivery(decoded.right)) return [e];
  return expandDeliveries(decoded.right).map((x) => ({ ...e, type: x.type, data: x.data }));
};

/** Every fact of one delivery unit (`<mid>/<uid>/<channel>[/<deviceId>]`), in log order, whichever stream it is in. */
export const unitFacts = async (w: World, key: string): Promise<RecordedEvent[]> =>
  (await w.events()).filter((e) => (e.data as { key?: unknown } | null)?.key === key);
export const unitTypes = async (w: World, key: string): Promise<string[]> =>
  (await unitFacts(w, key)).map((e) => e.type);

export const uidOf = (r: Recipient): string => ('uid' in r ? r.uid : '');

/** Deliveries the recording channels saw, as `channel:uid`, sorted. */
export const sent = (w: World): string[] =>
  Object.values(w.channels)
    .flatMap((c) => c.calls.map((r) => `${c.kind}:${uidOf(r.to)}`))
    .sort();
