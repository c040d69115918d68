// Live delivery of scheduled messages when they fall due, on the node that accepted them.
// Best effort by design: the log and the inbox are the record (a client that connects or
// resumes gets a due message from the read side either way); the scheduler reactor owns
// durable timing (escalation, push). Bounded so a flood of far-future messages costs little.
export interface LiveSchedule {
  schedule(mid: string, dueMs: number, publish: () => void): void;
  unschedule(mid: string): void;
  stop(): void;
}

export const createLiveSchedule = (
  now: () => number,
  options: { max?: number; horizonMs?: number } = {},
): LiveSchedule => {
  const max = options.max ?? 10_000;
  const horizon = options.horizonMs ?? 24 * 3600_000;
  const timers = new Map<string, NodeJS.Timeout>();
  return {
    schedule: (mid, dueMs, publish) => {
      const delay = dueMs - now();
      if (delay > horizon || timers.size >= max || timers.has(mid)) return;
      const t = setTimeout(
        () => {
          timers.delete(mid);
          publish();
        },
        Math.max(0, delay),
      );
      t.unref();
      timers.set(mid, t);
    },
    unschedule: (mid) => {
      const t = timers.get(mid);
      if (t !== undefined) {
        clearTimeout(t);
        timers.delete(mid);
      }
    },
    stop: () => {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
};
