import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { copySqliteState } from '../adapters/delivery-state/sqlite-snapshot.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { Logger } from '../ports/log.js';
import type { StateSnapshotInfo, StateSnapshots } from '../ports/state-snapshot.js';
import type { Config } from '../schema/config.js';
import { DISPATCH_REACTOR } from '../delivery/runner.js';
import { TRIAGE_REACTOR } from '../delivery/triage.js';
import { deliveryStateFile, openDeliveryState, openStateSnapshots } from './engines.js';

// Delivery's state (reactors.db) is derived from the log; rebuilding it means replaying the
// whole log (BENCHMARKS.md "Reactor node cold start"). A reactors node therefore stores a copy
// of it now and then (MSGXC_REACTORS_SNAPSHOT_MS) where every reactors node reaches it
// (ports/state-snapshot.ts), and a new node with no state file restores the newest copy
// before its followers start: they go on from the checkpoints in the copy, so only the tail
// of the log written since is replayed.
//
// Erasure (docs/gdpr.md): a copy holds contact points and device tokens. When this node's
// state applies a UserErased, the stored copy (taken before it) is deleted at once and a new
// one is stored as soon as this node's copy holds the erasure. Every reactors node applies
// every erasure and does the same, so a copy stored late by a node still behind the erasure
// is replaced when that node reaches it.

/** Restores the stored snapshot into `file` when there is no state file yet; its description, or undefined. */
export const restoreDeliveryState = async (
  file: string,
  snapshots: StateSnapshots,
  log: Logger,
): Promise<StateSnapshotInfo | undefined> => {
  if (existsSync(file)) return undefined;
  const started = performance.now();
  const info = await snapshots.restore(file);
  if (info === undefined) log.info({}, 'no delivery state snapshot: the reactors replay the log');
  else
    log.info(
      {
        position: info.position,
        bytes: info.bytes,
        takenAt: info.takenAt,
        ms: Math.round(performance.now() - started),
      },
      'delivery state restored from a snapshot',
    );
  return info;
};

export interface StateSnapshotter {
  /** Copies the state and stores the copy if it is newer than the stored one; what is stored then. */
  take(): Promise<StateSnapshotInfo | undefined>;
  /** This node's state applied an erasure at `position`. */
  erased(position: number): void;
  close(): Promise<void>;
}

export interface StateSnapshotterOptions {
  /** The state file (reactors.db). */
  readonly file: string;
  readonly snapshots: StateSnapshots;
  /** Between two snapshots; 0: only after erasures and when asked (`take`). */
  readonly everyMs: number;
  /** The followers whose checkpoints a snapshot must hold (triage, dispatch). */
  readonly followers: readonly string[];
  readonly log: Logger;
  readonly now?: () => Date;
  /** How soon a copy is tried again after an erasure while the state does not hold it yet. */
  readonly retryMs?: number;
}

export const startStateSnapshots = (o: StateSnapshotterOptions): StateSnapshotter => {
  const now = o.now ?? (() => new Date());
  // One at a time: a copy, a put and a clear never overlap on this node.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f);
    queue = p.catch(() => undefined);
    return p;
  };
  // The newest erasure this node applied that no stored snapshot holds yet (0: none).
  let erasedAt = 0;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let copies = 0;

  const takeNow = async (): Promise<StateSnapshotInfo | undefined> => {
    copies += 1;
    const tmp = `${o.file}.snapshot-${process.pid}-${copies}`;
    try {
      const copy = await copySqliteState(o.file, tmp);
      if (o.followers.some((f) => copy.checkpoints[f] === undefined)) return undefined;
      const stored = await o.snapshots.newest();
      if (stored !== undefined && stored.position >= copy.position) {
        if (stored.position >= erasedAt) erasedAt = 0;
        return stored;
      }
      if (copy.position < erasedAt) return undefined;
      const info = await o.snapshots.put(tmp, { position: copy.position, takenAt: now().toISOString() });
      if (info.position >= erasedAt) erasedAt = 0;
      o.log.info({ position: info.position, bytes: info.bytes }, 'delivery state snapshot stored');
      return info;
    } finally {
      await rm(tmp, { force: true });
    }
  };
  const take = (): Promise<StateSnapshotInfo | undefined> => serial(takeNow);
  const failed = (e: unknown): void => {
    o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'delivery state snapshot failed');
  };

  // After an erasure: again and again until a snapshot holding it is stored.
  const afterErasure = (): void => {
    if (closed || retry !== undefined) return;
    retry = setTimeout(() => {
      retry = undefined;
      if (closed || erasedAt === 0) return;
      take()
        .catch(failed)
        .finally(() => {
          if (erasedAt !== 0) afterErasure();
        });
    }, o.retryMs ?? 500);
  };

  const every =
    o.everyMs > 0
      ? setInterval(() => {
          if (!closed) take().catch(failed);
        }, o.everyMs)
      : undefined;

  return {
    take,
    erased: (position) => {
      erasedAt = Math.max(erasedAt, position);
      serial(async () => {
        const stored = await o.snapshots.newest();
        if (stored !== undefined && stored.position < position) {
          await o.snapshots.clear();
          o.log.info({ position, snapshot: stored.position }, 'delivery state snapshot deleted after an erasure');
        }
      }).catch(failed);
      afterErasure();
    },
    close: async () => {
      closed = true;
      if (every !== undefined) clearInterval(every);
      if (retry !== undefined) clearTimeout(retry);
      await queue;
    },
  };
};

/** The state, telling `onErased` after each batch that applied an erasure, with the erasure's log position. */
export const watchErasures = (state: DeliveryStateStore, onErased: (position: number) => void): DeliveryStateStore => ({
  directory: state.directory,
  units: state.units,
  timers: state.timers,
  reports: state.reports,
  checkpoints: state.checkpoints,
  close: () => state.close(),
  commit: async (batch) => {
    await state.commit(batch);
    for (const c of batch.directory ?? []) if (c.type === 'user-erased') onErased(c.position);
  },
});

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface SnapshottedState {
  readonly state: DeliveryStateStore;
  /** Stops taking snapshots and closes their store (the state itself is closed by delivery). */
  close(): Promise<void>;
}

/**
 * Delivery's state for any node that runs the reactors (role `reactors`, and role `all` on a
 * shared log): restored from the newest stored snapshot when this node has no state file yet,
 * and snapshotted from then on when the engines keep snapshots (openStateSnapshots: the
 * JetStream log, MSGXC_REACTORS_SNAPSHOT_MS above 0); else the state file as it is.
 */
export const openSnapshottedState = async (config: Config, log: Logger): Promise<SnapshottedState> => {
  const file = deliveryStateFile(config);
  const plain = (): SnapshottedState => ({ state: openDeliveryState(config), close: () => Promise.resolve() });
  // A snapshot only spares a replay: a snapshot store that cannot be reached (or answers late,
  // as when several nodes create its bucket at once) must not keep the node from starting.
  const snapshots = await openStateSnapshots(config).catch((e: unknown) => {
    log.warn({ err: errText(e) }, 'delivery state snapshots unavailable: the reactors replay the log and store none');
    return undefined;
  });
  if (snapshots === undefined) return plain();
  try {
    await restoreDeliveryState(file, snapshots, log);
  } catch (e) {
    // Whatever a failed restore left is not a state: the followers replay the log instead.
    await rm(file, { force: true });
    log.warn({ err: errText(e) }, 'delivery state snapshot not restored: the reactors replay the log');
  }
  const snapshotter = startStateSnapshots({
    file,
    snapshots,
    everyMs: config.triage.snapshotMs,
    followers: [TRIAGE_REACTOR, DISPATCH_REACTOR],
    log,
  });
  const state = watchErasures(openDeliveryState(config), (position) => {
    snapshotter.erased(position);
  });
  return {
    state,
    close: async () => {
      await snapshotter.close();
      await snapshots.close();
    },
  };
};
