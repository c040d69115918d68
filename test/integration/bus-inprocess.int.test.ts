import { createInProcessBus, createInProcessNetwork } from '../../adapters/bus/in-process.js';
import { busContract } from '../contract/bus.contract.js';

// Two in-process buses on one network stand for two nodes in one process.
busContract('in-process', () => {
  const network = createInProcessNetwork();
  const a = createInProcessBus({ network });
  const b = createInProcessBus({ network });
  return Promise.resolve({
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
    },
  });
});
