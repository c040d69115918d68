import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { openEventStoreDbEventStore } from '../../adapters/eventstore/eventstoredb.js';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { commandsRoundTripContract } from '../contract/commands-roundtrip.contract.js';
import type { EventStoreFactory } from '../contract/eventstore.contract.js';
import { roundTripContract } from '../contract/roundtrip.contract.js';
import { needs } from '../infra/needs.js';
import { natsSingleTargets } from '../infra/nats-targets.js';

// Write/read symmetry on the durable log engines (the memory log runs the same contracts in
// test/unit/schema/): every value each event codec accepts is stored and read back unchanged,
// and every body the HTTP codecs accept is refused with a 4xx or stores events that decode.
const both = (name: string, factory: EventStoreFactory): void => {
  roundTripContract(name, factory);
  commandsRoundTripContract(name, factory, { numRuns: 25 });
};

both('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-rt-'));
  const store = createSqliteEventStore({ file: join(dir, 'events.db') });
  return Promise.resolve({
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

// Once per nats-server release the run carries; a release not in the run (or EventStoreDB
// without MSGXC_EVENTSTORE_URL) is reported skipped, test by test.
for (const target of natsSingleTargets()) {
  needs(target.urlVar, `write/read symmetry on JetStream, ${target.label}`, (nats) => {
    both(`JetStream ${target.label}`, async () => {
      const id = randomBytes(6).toString('hex');
      const streamName = `MSGXC_RT_${id}`;
      const store = await openJetStreamEventStore({ servers: nats, replicas: 1, streamName, subjectPrefix: `rt${id}` });
      return {
        store,
        cleanup: async () => {
          await store.close();
          const nc = await connect({ servers: nats });
          await nc.request(`$JS.API.STREAM.DELETE.${streamName}`, undefined, { timeout: 10_000 });
          await nc.close();
        },
      };
    });
  });
}

needs('MSGXC_EVENTSTORE_URL', 'write/read symmetry on EventStoreDB', (esdb) => {
  both('EventStoreDB', () => {
    const store = openEventStoreDbEventStore({
      connectionString: esdb,
      streamPrefix: `rt${randomBytes(6).toString('hex')}:`,
    });
    return Promise.resolve({ store, cleanup: () => store.close() });
  });
});
