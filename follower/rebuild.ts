import type { DeadLetter, Generation, Skipped } from '../ports/follower.js';
import type { RebuildReport } from '../ports/projections.js';
import { catchUp } from './catch-up.js';
import type { ProjectionOptions } from './projection.js';
import { countSkipped } from './skipped.js';
import type { Backoff } from './waiters.js';

// Blue/green: a new generation catches up from position zero beside the live one, which keeps
// serving queries and following the log. At the head, the live follower stops, the new one
// reads what was appended meanwhile, and the generations swap in one step; the live follower
// then continues on the new one. Any failure before the swap drops the new generation and
// leaves the live one serving and following as before.

export interface Built<S> {
  readonly generation: Generation<S>;
  readonly position: number;
  readonly skipped: Skipped;
}

export interface RebuildContext<S> extends ProjectionOptions<S> {
  readonly now: () => string;
  readonly retry: Backoff;
  readonly allowSkips: boolean;
  readonly signal: AbortSignal;
  readonly onProgress?: (position: number, head: number) => void;
  /** Stops the live follower, runs `finish` (last catch-up, swap), and follows whichever generation is live after it. */
  readonly cutOver: (finish: () => Promise<Built<S>>) => Promise<void>;
}

export const rebuildBeside = async <S>(c: RebuildContext<S>): Promise<RebuildReport> => {
  const next = await c.generations.create();
  const dead = new Map<number, DeadLetter>();
  let replayed = 0;
  const state = { promoted: false };
  try {
    const head = await c.store.head();
    const common = {
      store: c.store,
      target: { name: c.name, handler: c.handler(next.store), checkpoints: next.checkpoints, now: c.now },
      pageSize: c.pageSize ?? 1_000,
      signal: c.signal,
      retry: c.retry,
      attempts: c.rebuildAttempts ?? 3,
      allowSkips: c.allowSkips,
      ...(c.log === undefined ? {} : { log: c.log }),
      onDead: (ds: readonly DeadLetter[]) => {
        for (const d of ds) dead.set(d.position, d);
      },
      onPage: (read: number, position: number) => {
        replayed += read;
        c.onProgress?.(position, Math.max(head, position));
      },
    };
    let at = await catchUp({ ...common, from: 0 });
    await c.cutOver(async () => {
      at = await catchUp({ ...common, from: at });
      // Searchable before it is swapped in (an engine that refreshes): queries never see it half-visible.
      await c.visible?.(next.store);
      await c.generations.promote(next);
      state.promoted = true;
      const skipped = { unknown: 0, invalid: 0 };
      countSkipped(skipped, [...dead.values()]);
      return { generation: next, position: at, skipped };
    });
    c.onProgress?.(at, Math.max(head, at));
    return { replayed };
  } catch (e) {
    if (!state.promoted)
      await c.generations.discard(next).catch((d: unknown) => {
        c.log?.error(
          { err: d instanceof Error ? d.message : String(d), generation: next.id },
          'cannot drop a failed generation',
        );
      });
    throw e;
  }
};
