import type { EventStore } from '../ports/eventstore.js';
import type {
  DeadLetter,
  FollowerHandler,
  FollowerHealth,
  Generation,
  Generations,
  Skipped,
  Stalled,
} from '../ports/follower.js';
import type { ProjectionRunner, ProjectionStatus } from '../ports/projections.js';
import { createFollower } from './follower.js';
import type { Follower, FollowerLog } from './follower.js';
import { rebuildBeside } from './rebuild.js';
import { countSkipped } from './skipped.js';
import { wouldSkip } from './skips.js';
import { DEFAULT_BACKOFF, abortableSleep, createWaiters, delayOf } from './waiters.js';
import type { Backoff } from './waiters.js';

// A projection: one follower on the live generation of its storage, the waiters the API
// reads behind, and the blue/green rebuild (rebuild.ts). Every read-model and search engine
// is one of these; only its Generations and its handler differ.

export interface ProjectionOptions<S> {
  readonly name: string;
  readonly store: Pick<EventStore, 'subscribeAll' | 'readAll' | 'head'>;
  readonly generations: Generations<S>;
  /** The projection's writes into one generation's store. */
  readonly handler: (store: S) => FollowerHandler;
  /** What makes written data visible to queries (a search engine's refresh), awaited by waitFor. */
  readonly visible?: (store: S) => Promise<void>;
  readonly log?: FollowerLog;
  readonly retry?: Backoff;
  /** Events per read while rebuilding (default 1000). */
  readonly pageSize?: number;
  /** Tries per page before a rebuild gives up (default 3). */
  readonly rebuildAttempts?: number;
  /** Stamps dead letters (default: the system clock). */
  readonly now?: () => string;
  /** Events the live follower quarantined (for a metric). */
  readonly onDeadLetters?: (dead: readonly DeadLetter[]) => void;
  /** How often to look for a generation another process promoted (default 2000 ms; with `generations.stored`). */
  readonly pollMs?: number;
}

export interface Projection<S> extends ProjectionRunner {
  readonly name: string;
  /** Resolves once the live generation is open and its checkpoint read: status() is right from then on. */
  ready(): Promise<void>;
  live(): Generation<S> | undefined;
  skipped(): Skipped;
  health(): FollowerHealth;
}

export const createProjection = <S>(o: ProjectionOptions<S>): Projection<S> => {
  const { name, generations } = o;
  const now = o.now ?? (() => new Date().toISOString());
  const retry = o.retry ?? DEFAULT_BACKOFF;
  const waiters = createWaiters();
  const health = { failures: 0, lastError: null as string | null };
  let skipped = { unknown: 0, invalid: 0 };
  let stalled: Stalled | null = null;
  let live: Generation<S> | undefined;
  let position = 0;
  let follower: Follower | undefined;
  let running: AbortController | undefined;
  let rebuilding: ReturnType<ProjectionRunner['rebuild']> | undefined;
  let rebuildAbort: AbortController | undefined;
  let poll: NodeJS.Timeout | undefined;

  const moved = (p: number): void => {
    position = Math.max(position, p);
    waiters.notify(position);
  };
  const open = async (): Promise<void> => {
    const g = await generations.live();
    const p = await g.checkpoints.read(name);
    live = g;
    position = p;
    waiters.notify(p);
  };
  let opened = open();
  opened.catch(() => undefined); // start() retries; ready() reports it

  const followerOn = (g: Generation<S>, from: number): Follower =>
    createFollower({
      name,
      store: o.store,
      handler: o.handler(g.store),
      checkpoints: g.checkpoints,
      now,
      from,
      retry,
      ...(o.log === undefined ? {} : { log: o.log }),
      onPosition: moved,
      onDeadLetters: (dead) => {
        countSkipped(skipped, dead);
        o.onDeadLetters?.(dead);
      },
      onFailure: (e) => {
        health.failures += 1;
        health.lastError = e instanceof Error ? e.message : String(e);
      },
      onStalled: (s) => {
        stalled = s;
      },
    });
  const follow = (): void => {
    if (running === undefined || follower !== undefined || live === undefined) return;
    follower = followerOn(live, position);
    follower.start();
  };
  const unfollow = async (): Promise<void> => {
    const f = follower;
    follower = undefined;
    stalled = null;
    await f?.stop();
  };

  const whenOpen = async (signal: AbortSignal): Promise<void> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await opened;
        return;
      } catch (e) {
        o.log?.error({ err: e instanceof Error ? e.message : String(e), attempt }, `${name}: cannot open; retrying`);
        await abortableSleep(delayOf(retry, attempt), signal);
        opened = open();
        opened.catch(() => undefined);
      }
    }
  };

  // Another node promoted a generation (a shared Cassandra): follow it from its checkpoint.
  const adopt = async (): Promise<void> => {
    if (generations.stored === undefined || live === undefined || rebuilding !== undefined) return;
    if ((await generations.stored()) === live.id) return;
    await unfollow();
    await open();
    o.log?.warn({ generation: live.id }, `${name}: following a generation promoted elsewhere`);
    follow();
  };

  return {
    name,
    ready: () => opened,
    live: () => live,
    start: () => {
      if (running !== undefined) return;
      const r = new AbortController();
      running = r;
      void whenOpen(r.signal).then(follow, () => undefined);
      if (generations.stored !== undefined && (o.pollMs ?? 2_000) > 0)
        poll = setInterval(() => {
          adopt().catch((e: unknown) => {
            o.log?.error(
              { err: e instanceof Error ? e.message : String(e) },
              `${name}: cannot follow a new generation`,
            );
          });
        }, o.pollMs ?? 2_000);
    },
    waitFor: async (target, timeoutMs) => {
      await waiters.wait(target, () => position, timeoutMs);
      if (o.visible !== undefined && live !== undefined) await o.visible(live.store);
    },
    status: (): readonly ProjectionStatus[] => [{ name, position, ...(stalled === null ? {} : { stalled }) }],
    skipped: () => ({ ...skipped }),
    health: () => ({ ...health, stalled }),
    deadLetters: async () => {
      await opened;
      return live === undefined ? [] : live.checkpoints.deadLetters(name);
    },
    wouldSkip: async () => {
      await opened;
      if (live === undefined) return [];
      return wouldSkip(o.store, live.checkpoints, name, o.handler(live.store).types);
    },
    rebuild: (onProgress, options) => {
      if (rebuilding !== undefined) return rebuilding;
      const abort = new AbortController();
      rebuildAbort = abort;
      rebuilding = (async () => {
        await opened;
        return rebuildBeside({
          ...o,
          now,
          retry,
          allowSkips: options?.allowSkips ?? false,
          ...(onProgress === undefined ? {} : { onProgress }),
          signal: abort.signal,
          cutOver: async (finish) => {
            await unfollow();
            try {
              const { generation, position: at, skipped: built } = await finish();
              live = generation;
              position = at;
              skipped = { ...built };
              waiters.notify(at);
            } finally {
              follow();
            }
          },
        });
      })().finally(() => {
        rebuilding = undefined;
      });
      return rebuilding;
    },
    stop: async () => {
      running?.abort();
      running = undefined;
      rebuildAbort?.abort();
      clearInterval(poll);
      await rebuilding?.catch(() => undefined);
      await unfollow();
      waiters.rejectAll(new Error(`projection ${name} stopped`));
    },
  };
};
