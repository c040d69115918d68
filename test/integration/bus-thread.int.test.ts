import { MessageChannel } from 'node:worker_threads';
import { createInProcessBus, createInProcessNetwork } from '../../adapters/bus/in-process.js';
import { bridgeBusToPort, createThreadBus } from '../../adapters/bus/thread.js';
import { busContract } from '../contract/bus.contract.js';

// The thread bus (an embedded node's reactors' thread to its main thread's in-process bus).
// Both ends of a MessageChannel work within one thread too: the worker's end and the bridge
// here are the same code a worker runs, with the port crossing no thread.
const threadMember = (network: ReturnType<typeof createInProcessNetwork>) => {
  const channel = new MessageChannel();
  const bridge = bridgeBusToPort(network, channel.port1);
  const bus = createThreadBus(channel.port2);
  return {
    bus,
    close: async () => {
      await bus.close();
      await bridge.close();
      channel.port1.close();
    },
  };
};

busContract('thread, two threads on one network', () => {
  const network = createInProcessNetwork();
  const [a, b] = [threadMember(network), threadMember(network)];
  return Promise.resolve({
    a: a.bus,
    b: b.bus,
    close: async () => {
      await a.close();
      await b.close();
    },
  });
});

// As an embedded node runs it: the main thread on the in-process bus, the reactors over a port.
busContract('thread, beside an in-process member', () => {
  const network = createInProcessNetwork();
  const a = createInProcessBus({ network });
  const b = threadMember(network);
  return Promise.resolve({
    a,
    b: b.bus,
    close: async () => {
      await a.close();
      await b.close();
    },
  });
});

busContract('thread publishing, in-process receiving', () => {
  const network = createInProcessNetwork();
  const a = threadMember(network);
  const b = createInProcessBus({ network });
  return Promise.resolve({
    a: a.bus,
    b,
    close: async () => {
      await a.close();
      await b.close();
    },
  });
});
