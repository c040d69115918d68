// BENCH_PROJECTIONS=1 beside BENCH_STACK=production (bench/triage.ts): the read models in
// Cassandra and the search projection in Elasticsearch follow the bench's log as they do on a
// production node (app/engines.ts openReadModels and openSearchProjection, with the broker's
// settings for the test servers, test/e2e/stack.ts). On a node whose log is JetStream they run
// in the node's process, on its main thread beside the reactors (only the SQLite log moves them
// to worker threads), so their work on a broadcast (the search projection writes a delivery
// document per receipt, projections/search/deliveries.ts; the read models one row for the
// broadcast) shares the CPU that triage and dispatch are measured with.
// At 100,000 users the timed part first never ended: the search projection retried a batch it
// could not write forever (a spread past the stack's limit, then a _bulk request above
// Elasticsearch's indexing-pressure limit; both fixed, BENCHMARKS.md "The stall with the projections").
import { mkdirSync } from 'node:fs';
import type { EventStore } from '../ports/eventstore.js';
import type { Clock } from '../ports/clock.js';
import type { ProjectionRunner } from '../ports/projections.js';
import { loadConfig } from '../app/config.js';
import { type OpenedLog, openReadModels, openSearchProjection } from '../app/engines.js';
import { createLogger } from '../app/log.js';
import type { ProductionStack } from './production-stack.js';

export interface BenchProjections {
  /** Resolves once both have applied the log up to `position`. */
  waitFor(position: number): Promise<void>;
  close(): Promise<void>;
}

export const startProjections = async (
  stack: ProductionStack,
  store: EventStore,
  dataDir: string,
  clock: Clock,
): Promise<BenchProjections> => {
  mkdirSync(dataDir, { recursive: true });
  const { config } = loadConfig({ ...stack.env(dataDir), MSGXC_DATA_DIR: dataDir, MSGXC_LOG_LEVEL: 'warn' });
  const logger = createLogger('error');
  // Both read only the log of an OpenedLog (the Cassandra and Elasticsearch branches): the
  // bench's log is neither sealed nor chained, as for the reactors it feeds.
  const log = { store, stored: store } as unknown as OpenedLog;
  const reads = await openReadModels(config, log, logger, clock);
  const search = await openSearchProjection(config, log, logger);
  const runners: readonly ProjectionRunner[] = [reads.runner, search.runner];
  for (const r of runners) r.start();
  return {
    waitFor: async (position) => {
      await Promise.all(runners.map((r) => r.waitFor(position, 3_600_000)));
    },
    close: async () => {
      // Each stops its runner first.
      await reads.close();
      await search.close();
    },
  };
};
