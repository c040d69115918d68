import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { describe, it } from 'vitest';
import { openEventStoreDbEventStore } from '../../adapters/eventstore/eventstoredb.js';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { commandsRoundTripContract } from '../contract/commands-roundtrip.contract.js';
import type { EventStoreFactory } from '../contract/eventstore.contract.js';
import { roundTripContract } from '../contract/roundtrip.contract.js';

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

const nats = process.env.MSGXC_TEST_NATS_URL;
if (nats !== undefined && nats !== '') {
  both('JetStream', async () => {
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
} else {
  describe.skip('write/read symmetry on JetStream (set MSGXC_TEST_NATS_URL, e.g. MSGXC_TEST_SERVERS=nats)', () => {
    it('runs both contracts', () => undefined);
  });
}

const esdb = process.env.MSGXC_EVENTSTORE_URL;
if (esdb !== undefined && esdb !== '') {
  both('EventStoreDB', () => {
    const store = openEventStoreDbEventStore({
      connectionString: esdb,
      streamPrefix: `rt${randomBytes(6).toString('hex')}:`,
    });
    return Promise.resolve({ store, cleanup: () => store.close() });
  });
} else {
  describe.skip('write/read symmetry on EventStoreDB (set MSGXC_EVENTSTORE_URL=esdb://...)', () => {
    it('runs both contracts', () => undefined);
  });
}
