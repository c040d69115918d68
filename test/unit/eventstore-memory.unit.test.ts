import { createMemoryEventStore } from '../../adapters/eventstore/memory.js';
import { eventStoreContract } from '../contract/eventstore.contract.js';

eventStoreContract('memory', () => {
  const store = createMemoryEventStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});
