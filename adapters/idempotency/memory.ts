import type { IdempotencyRecord, IdempotencyStore } from '../../ports/idempotency.js';

export const createMemoryIdempotencyStore = (): IdempotencyStore => {
  const records = new Map<string, IdempotencyRecord>();
  return {
    reserve: (r) => {
      const existing = records.get(r.scope);
      if (existing) return Promise.resolve(existing);
      records.set(r.scope, r);
      return Promise.resolve(r);
    },
    complete: (scope, response) => {
      const r = records.get(scope);
      if (r) records.set(scope, { ...r, response });
      return Promise.resolve();
    },
    expire: (olderThan) => {
      let n = 0;
      for (const [k, r] of records)
        if (r.createdAt < olderThan) {
          records.delete(k);
          n += 1;
        }
      return Promise.resolve(n);
    },
    close: () => Promise.resolve(),
  };
};
