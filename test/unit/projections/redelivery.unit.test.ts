import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksum } from '../../../projections/checksum.js';
import { dispatcher } from '../../../projections/projection.js';
import { embeddedProjections, ensureReadModels } from '../../../projections/tables.js';
import type { DomainEvent } from '../../../schema/events.js';
import { T0, ev, midsFrom, to } from './fixtures.js';

// Property: the evolve functions are idempotent under at-least-once delivery. Applying a
// log, then re-applying any suffix of it (a consumer that lost its checkpoint), yields the
// same read models as applying it once. Uses an in-memory SQLite database.
const uids = ['a', 'b', 'c'];
const mids = ((next) => Array.from({ length: 5 }, () => next()))(midsFrom());
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

const event: fc.Arbitrary<DomainEvent> = fc.oneof(
  pick(uids).map(ev.recognized),
  fc.tuple(pick(uids), pick(['d1', 'd2'])).map(([u, d]) => ev.enlisted(u, d)),
  fc.tuple(pick(uids), pick(['d1', 'd2'])).map(([u, d]) => ev.revoked(u, d)),
  fc.tuple(pick(['t1', 't2']), pick(uids)).map(([t, u]) => ev.thread(t, u)),
  fc
    .tuple(pick(['t1', 't2']), pick(uids), pick(['admin', 'subscriber'] as const))
    .map(([t, u, r]) => ev.joined(t, u, r)),
  fc.tuple(pick(['t1', 't2']), pick(uids), pick(['admin', 'subscriber'] as const)).map(([t, u, r]) => ev.left(t, u, r)),
  fc
    .tuple(
      pick(mids),
      fc.oneof(pick(uids).map(to.user), pick(['t1', 't2']).map(to.thread), fc.constant(to.everyone())),
      fc.nat(5),
    )
    .map(([m, a, s]) => ev.published(m, a, { at: T0 + s })),
  pick(mids).map(ev.cancelled),
  pick(mids).map(ev.retracted),
  fc
    .tuple(pick(uids), fc.subarray(mids), pick(['delivered', 'seen', 'read', 'clicked'] as const))
    .map(([u, m, s]) => ev.acked(u, m, s)),
  fc
    .tuple(pick(uids), pick(mids), fc.option(pick(['t1', 't2']), { nil: undefined }))
    .map(([u, m, t]) => ev.marked(u, m, t)),
  fc.tuple(pick(uids), fc.subarray(mids)).map(([u, m]) => ev.deleted(u, m)),
);

// Keep what one message stream allows: published once, cancelled or retracted only afterwards.
const wellFormed = (log: readonly DomainEvent[]): DomainEvent[] => {
  const published = new Set<string>();
  return log.filter((e) => {
    if (e.type === 'MessagePublished') return !published.has(e.data.mid) && published.add(e.data.mid);
    if (e.type === 'MessageCancelled' || e.type === 'MessageRetracted') return published.has(e.data.mid);
    return true;
  });
};

const fresh = () => {
  const db = new BetterSqlite3(':memory:');
  ensureReadModels(db);
  const apply = dispatcher(db, embeddedProjections);
  const run = (events: readonly DomainEvent[], from: number): void => {
    events.slice(from).forEach((e, i) => {
      apply(e, { position: from + i + 1, occurredAt: new Date(T0).toISOString() });
    });
  };
  return { db, run };
};

describe('read models under redelivery', () => {
  it('re-applying any suffix of the log changes nothing', () => {
    fc.assert(
      fc.property(
        fc
          .array(event, { minLength: 1, maxLength: 40 })
          .map(wellFormed)
          .filter((l) => l.length > 0),
        fc.nat(),
        (log, k) => {
          const once = fresh();
          once.run(log, 0);
          const twice = fresh();
          twice.run(log, 0);
          twice.run(log, k % log.length);
          expect(checksum(twice.db)).toBe(checksum(once.db));
          once.db.close();
          twice.db.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
