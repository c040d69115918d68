import { afterEach, beforeEach, describe } from 'vitest';
import { fixedClock } from '../../adapters/clock/clock.js';
import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { Skipped } from '../../ports/follower.js';
import type { ReadModels } from '../../ports/read-models.js';
import type { ProjectionRunner } from '../../ports/projections.js';
import type { DomainEvent } from '../../schema/events.js';
import { T0, put } from '../unit/projections/fixtures.js';
import { inboxCases } from './readmodels-inbox.contract.js';
import { queryCases } from './readmodels-queries.contract.js';
import { rebuildCases } from './readmodels-rebuild.contract.js';
import { runnerCases } from './readmodels-runner.contract.js';
import { faultyLog } from './faulty-log.js';
import type { LogFaults } from './faulty-log.js';
import { compatCases } from './readmodels-compat.contract.js';
import { importCases } from './readmodels-imports.contract.js';
import { segmentCases } from './readmodels-segments.contract.js';

// One suite for every read store (embedded SQLite, Cassandra): the `ReadModels` queries, the
// inbox rules and paging, and the `ProjectionRunner` promises (at-least-once re-apply and
// rebuild give identical checksums, a broadcast writes O(1) rows), all driven by real events
// through the store's own runner. It asserts only what the contract promises.

export type RunnerUnderTest = ProjectionRunner & { skipped(): Skipped };

export interface ReadStoreUnderTest {
  readonly models: ReadModels;
  /** Not started: the suite starts it. */
  readonly runner: RunnerUnderTest;
  readonly runnerName: string;
  /** Rows one broadcast adds to the read models, whatever the number of users. */
  readonly rowsPerBroadcast: number;
  checksum(): Promise<string>;
  /** Rows across every read-model table. */
  rowCount(): Promise<number>;
  /**
   * Damages the read models behind the runner's back, as a bug or a half-applied older version
   * would: adds user 'ghost' (no event made it), overwrites ann's row with values no event
   * wrote (with a write that is newer than any the runner makes), and deletes thread t1.
   */
  plantStale(): Promise<void>;
  /** Writes the stored checkpoint, as an operator moving the projection back would. */
  setCheckpoint(position: number): Promise<void>;
  /** A new runner over the same storage, from the stored checkpoint, not started. */
  newRunner(): Promise<RunnerUnderTest>;
  cleanup(): Promise<void>;
}

export type Clock = ReturnType<typeof fixedClock>;
/** The current test's harness (a function: each test gets a fresh one). */
export type H = () => Harness;
export type ReadStoreFactory = (env: {
  readonly store: EventStore;
  readonly clock: Clock;
  /** Events per page a rebuild reads (small, so that a rebuild takes several pages). */
  readonly pageSize: number;
}) => Promise<ReadStoreUnderTest>;

export interface Harness extends ReadStoreUnderTest {
  readonly store: EventStore;
  readonly clock: Clock;
  /** Makes the log's page reads (a rebuild's) fail or wait part-way. */
  readonly faults: LogFaults;
  /** Appends each event to its natural stream and waits until the read models have applied them. */
  put(...events: readonly DomainEvent[]): Promise<number>;
}

export const NOW = T0 + 3_600_000;
export const REBUILD_PAGE = 5;

export const readModelsContract = (name: string, factory: ReadStoreFactory): void => {
  const ctx: { h: Harness | undefined } = { h: undefined };
  const h = (): Harness => {
    if (ctx.h === undefined) throw new Error('no harness: beforeEach did not run');
    return ctx.h;
  };
  beforeEach(async () => {
    const { store, faults } = faultyLog(createMemoryEventStore());
    const clock = fixedClock(new Date(NOW));
    const under = await factory({ store, clock, pageSize: REBUILD_PAGE });
    under.runner.start();
    ctx.h = Object.assign(under, {
      store,
      clock,
      faults,
      put: async (...events: readonly DomainEvent[]) => {
        const p = await put(store, ...events);
        await under.runner.waitFor(p, 30_000);
        return p;
      },
    });
  });
  afterEach(async () => {
    await ctx.h?.runner.stop();
    await ctx.h?.cleanup();
    ctx.h = undefined;
  });

  describe(`read models contract: ${name}`, () => {
    queryCases(h);
    inboxCases(h);
    runnerCases(h);
    rebuildCases(h);
    compatCases(h);
    importCases(h);
    segmentCases(h);
  });
};
