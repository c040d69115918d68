import type { MessagePort } from 'node:worker_threads';
import type { Bus, BusHandler, TopicKind } from '../../ports/bus.js';
import { createInProcessBus, type InProcessNetwork } from './in-process.js';

// The bus between a worker thread and the in-process bus of the thread that started it (an
// embedded node's delivery reactors run in a worker: app/reactors-thread/). The worker's end is
// a Bus like any other (createThreadBus); the other end (bridgeBusToPort) joins the node's
// InProcessNetwork as one more member on the worker's behalf. A MessagePort keeps the order of
// its messages, so each publisher's order holds both ways, and the worker receives its own
// publications (they go round through the network, as NATS echoes them).
export type ToBridge =
  | { readonly t: 'pub'; readonly kind: TopicKind; readonly key: string; readonly payload: string }
  | { readonly t: 'sub' | 'unsub'; readonly kind: TopicKind }
  | { readonly t: 'flush'; readonly id: number }
  | { readonly t: 'close' };

export type FromBridge =
  | { readonly t: 'msg'; readonly kind: TopicKind; readonly key: string; readonly payload: string }
  | { readonly t: 'flushed'; readonly id: number };

/** The node's end: the worker's subscriptions and publications on `network`. Stops when the worker closes its end or `close` is called. */
export const bridgeBusToPort = (
  network: InProcessNetwork,
  port: MessagePort,
  options: { onError?: (e: unknown) => void } = {},
): { close(): Promise<void> } => {
  const member = createInProcessBus({ network, ...(options.onError ? { onError: options.onError } : {}) });
  const subs = new Map<TopicKind, { close(): Promise<void> }>();
  const send = (m: FromBridge): void => {
    port.postMessage(m);
  };
  const close = async (): Promise<void> => {
    port.off('message', onMessage);
    await member.close();
  };
  const onMessage = (m: ToBridge): void => {
    if (m.t === 'pub') member.publish(m.kind, m.key, m.payload);
    else if (m.t === 'sub')
      subs.set(
        m.kind,
        member.subscribe(m.kind, (key, payload) => {
          send({ t: 'msg', kind: m.kind, key, payload });
        }),
      );
    else if (m.t === 'unsub') {
      void subs.get(m.kind)?.close();
      subs.delete(m.kind);
    }
    // Everything the worker sent before this is applied by now: the port keeps order.
    else if (m.t === 'flush') send({ t: 'flushed', id: m.id });
    else void close();
  };
  port.on('message', onMessage);
  return { close };
};

/** The worker's end: a Bus over `port`, whose other end is bridgeBusToPort. */
export const createThreadBus = (port: MessagePort, options: { onError?: (e: unknown) => void } = {}): Bus => {
  const handlers = new Map<TopicKind, BusHandler>();
  const flushes = new Map<number, () => void>();
  let flushIds = 0;
  let closed = false;
  const send = (m: ToBridge): void => {
    if (!closed) port.postMessage(m);
  };
  port.on('message', (m: FromBridge) => {
    if (m.t === 'flushed') {
      flushes.get(m.id)?.();
      flushes.delete(m.id);
      return;
    }
    const h = handlers.get(m.kind);
    if (h === undefined) return;
    try {
      h(m.key, m.payload);
    } catch (e) {
      options.onError?.(e);
    }
  });
  return {
    publish: (kind, key, payload) => {
      send({ t: 'pub', kind, key, payload });
    },
    subscribe: (kind, handler) => {
      if (handlers.has(kind)) throw new Error(`bus: this node already subscribes to ${kind}`);
      handlers.set(kind, handler);
      send({ t: 'sub', kind });
      return {
        close: () => {
          if (handlers.get(kind) === handler) {
            handlers.delete(kind);
            send({ t: 'unsub', kind });
          }
          return Promise.resolve();
        },
      };
    },
    flush: () =>
      closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const id = ++flushIds;
            flushes.set(id, resolve);
            send({ t: 'flush', id });
          }),
    // The other end is in the same process: it goes away only with the worker.
    onInterrupted: () => () => undefined,
    close: () => {
      send({ t: 'close' });
      closed = true;
      handlers.clear();
      for (const resolve of flushes.values()) resolve();
      flushes.clear();
      port.close();
      return Promise.resolve();
    },
  };
};
