import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { commandsRoundTripContract } from '../../contract/commands-roundtrip.contract.js';

// The in-memory log; SQLite and JetStream run the same contract in test/integration/.
commandsRoundTripContract(
  'memory',
  () => {
    const store = createMemoryEventStore();
    return Promise.resolve({ store, cleanup: () => store.close() });
  },
  { numRuns: 80 },
);
