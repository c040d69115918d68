import { createMemoryIdempotencyStore } from '../../../adapters/idempotency/memory.js';
import { idempotencyContract } from '../../contract/idempotency.contract.js';

idempotencyContract(
  'memory',
  () => {
    const store = createMemoryIdempotencyStore();
    return Promise.resolve({ store, cleanup: () => store.close() });
  },
  false,
);
