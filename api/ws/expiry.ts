// Token expiry for many sessions without one timer each: sessions sit in one-second buckets
// by expiry time and a single interval ends the due ones. Memory is one Set entry per session.
export interface ExpiryWheel<T> {
  add(item: T, expMs: number): void;
  remove(item: T, expMs: number): void;
  stop(): void;
  /** Entries held (a session counts once per expiry it was added with). */
  size(): number;
}

export const createExpiryWheel = <T>(
  onExpired: (item: T) => void,
  now: () => number = Date.now,
  tickMs = 1000,
): ExpiryWheel<T> => {
  const buckets = new Map<number, Set<T>>();
  const slot = (expMs: number): number => Math.ceil(expMs / tickMs);
  const timer = setInterval(() => {
    const due = Math.floor(now() / tickMs);
    for (const [s, items] of buckets) {
      if (s > due) continue;
      buckets.delete(s);
      for (const item of items) onExpired(item);
    }
  }, tickMs);
  timer.unref();
  return {
    add: (item, expMs) => {
      const s = slot(expMs);
      const b = buckets.get(s) ?? new Set<T>();
      b.add(item);
      buckets.set(s, b);
    },
    remove: (item, expMs) => {
      const s = slot(expMs);
      const b = buckets.get(s);
      if (b === undefined) return;
      b.delete(item);
      if (b.size === 0) buckets.delete(s);
    },
    size: () => {
      let n = 0;
      for (const b of buckets.values()) n += b.size;
      return n;
    },
    stop: () => {
      clearInterval(timer);
      buckets.clear();
    },
  };
};
