import type { Bus, BusHandler, TopicKind } from '../../ports/bus.js';

// The default bus for a single node: handlers are called synchronously, in publish order.
// Several buses may share one `InProcessNetwork` to stand for several nodes in one process
// (tests); each receives every publication, as NATS subscribers would.
export interface InProcessNetwork {
  readonly members: Set<Map<TopicKind, BusHandler>>;
}

export const createInProcessNetwork = (): InProcessNetwork => ({ members: new Set() });

export const createInProcessBus = (
  options: { network?: InProcessNetwork; onError?: (e: unknown) => void } = {},
): Bus => {
  const network = options.network ?? createInProcessNetwork();
  const handlers = new Map<TopicKind, BusHandler>();
  network.members.add(handlers);
  let closed = false;
  return {
    publish: (kind, key, payload) => {
      if (closed) return;
      for (const member of network.members) {
        const h = member.get(kind);
        if (h === undefined) continue;
        // One broken handler must not starve the other nodes (or the publisher) of the rest.
        try {
          h(key, payload);
        } catch (e) {
          options.onError?.(e);
        }
      }
    },
    subscribe: (kind, handler) => {
      if (handlers.has(kind)) throw new Error(`bus: this node already subscribes to ${kind}`);
      handlers.set(kind, handler);
      return {
        close: () => {
          if (handlers.get(kind) === handler) handlers.delete(kind);
          return Promise.resolve();
        },
      };
    },
    flush: () => Promise.resolve(),
    // In-process delivery cannot be interrupted.
    onInterrupted: () => () => undefined,
    close: () => {
      closed = true;
      network.members.delete(handlers);
      handlers.clear();
      return Promise.resolve();
    },
  };
};
