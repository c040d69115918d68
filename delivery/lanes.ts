import type { DispatchChannel } from '../schema/triage-events.js';

// Dispatch isolation: every job (the due units of one channel from one scheduler pass) runs in
// its channel's lane, at most `limit` at once per channel, first come first served. Nobody
// awaits a job: the scheduler hands it over and goes on, so a provider request that hangs
// holds one slot of its own channel until the channel's timeout, and every other channel (and
// the other slots of its own) keeps sending. A job that waits for a slot is not claimed yet:
// its claims, and so its leases, start when it runs.
export type Job = () => Promise<void>;

export interface LaneStats {
  readonly running: number;
  readonly queued: number;
}

export interface Lanes {
  /**
   * Queues `job` in its channel's lane; it starts when a slot is free. Higher `priority` (the
   * message's urgency) is served first, equal priority first come first served: an urgency-4
   * message queued behind a large broadcast's jobs overtakes them (a job already running ends).
   */
  run(channel: DispatchChannel, job: Job, priority?: number): void;
  /** Resolves once no job is queued or running. */
  idle(): Promise<void>;
  stats(): Readonly<Record<DispatchChannel, LaneStats>>;
}

interface Queued {
  readonly job: Job;
  readonly priority: number;
}
interface Lane {
  running: number;
  readonly queue: Queued[];
}

export const createLanes = (
  limits: Readonly<Record<DispatchChannel, number>>,
  onError: (channel: DispatchChannel, e: unknown) => void,
): Lanes => {
  const lanes = new Map<DispatchChannel, Lane>();
  const laneOf = (c: DispatchChannel): Lane => {
    let l = lanes.get(c);
    if (l === undefined) {
      l = { running: 0, queue: [] };
      lanes.set(c, l);
    }
    return l;
  };
  let active = 0;
  let waiters: (() => void)[] = [];
  const settled = (): void => {
    active -= 1;
    if (active > 0) return;
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  const pump = (channel: DispatchChannel): void => {
    const lane = laneOf(channel);
    while (lane.running < Math.max(1, limits[channel]) && lane.queue.length > 0) {
      const job = lane.queue.shift()?.job;
      if (job === undefined) return;
      lane.running += 1;
      void job()
        .catch((e: unknown) => {
          onError(channel, e);
        })
        .finally(() => {
          lane.running -= 1;
          settled();
          pump(channel);
        });
    }
  };
  return {
    run: (channel, job, priority = 0) => {
      active += 1;
      const q = laneOf(channel).queue;
      // Jobs queue in priority order; a scan from the back is short, as most jobs share one urgency.
      let i = q.length;
      while (i > 0 && (q[i - 1]?.priority ?? 0) < priority) i -= 1;
      q.splice(i, 0, { job, priority });
      pump(channel);
    },
    idle: () =>
      active === 0
        ? Promise.resolve()
        : new Promise((resolve) => {
            waiters.push(resolve);
          }),
    stats: () => {
      const out = {} as Record<DispatchChannel, LaneStats>;
      for (const c of Object.keys(limits) as DispatchChannel[]) {
        const l = laneOf(c);
        out[c] = { running: l.running, queued: l.queue.length };
      }
      return out;
    },
  };
};
