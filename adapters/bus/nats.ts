import { connect, Events, type NatsConnection, type Subscription } from 'nats';
import type { Bus, BusHandler, TopicKind } from '../../ports/bus.js';
import { keyOf, subjectOf, wildcardOf } from './subjects.js';

// The bus across nodes on core NATS (no JetStream: realtime fan-out is fire and forget; the
// log is what clients resume from). One NATS subscription per node per kind, with a
// wildcard subject; the node fans out to its sockets itself. NATS keeps the order of one
// connection's publications, across subjects, which the session protocol relies on (a
// membership change published before a thread message reaches every node before it).
export interface NatsBusOptions {
  readonly servers: string | readonly string[];
  /** Subject prefix (default `msgxc`): lets several brokers, or test runs, share one NATS. */
  readonly prefix?: string;
  readonly name?: string;
  readonly onError?: (e: unknown) => void;
}

export interface NatsBus extends Bus {
  readonly connection: NatsConnection;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const createNatsBus = async (options: NatsBusOptions): Promise<NatsBus> => {
  const prefix = options.prefix ?? 'msgxc';
  const nc = await connect({
    servers: typeof options.servers === 'string' ? options.servers.split(',') : [...options.servers],
    ...(options.name !== undefined ? { name: options.name } : {}),
    // A broker node outlives NATS restarts: keep reconnecting, and buffer publications meanwhile.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
  });
  const subs = new Map<TopicKind, Subscription>();
  const interrupted = new Set<() => void>();
  // nats.js reports a reconnect after a lost connection; whatever was in flight then is gone.
  void (async () => {
    for await (const s of nc.status()) if (s.type === Events.Reconnect) for (const l of interrupted) l();
  })().catch((e: unknown) => {
    options.onError?.(e);
  });
  return {
    connection: nc,
    publish: (kind, key, payload) => {
      try {
        nc.publish(subjectOf(prefix, kind, key), encoder.encode(payload));
      } catch (e) {
        options.onError?.(e);
      }
    },
    subscribe: (kind: TopicKind, handler: BusHandler) => {
      if (subs.has(kind)) throw new Error(`bus: this node already subscribes to ${kind}`);
      const sub = nc.subscribe(wildcardOf(prefix, kind), {
        callback: (err, msg) => {
          if (err !== null) {
            options.onError?.(err);
            return;
          }
          try {
            handler(keyOf(prefix, kind, msg.subject), decoder.decode(msg.data));
          } catch (e) {
            options.onError?.(e);
          }
        },
      });
      subs.set(kind, sub);
      return {
        close: async () => {
          subs.delete(kind);
          sub.unsubscribe();
          await nc.flush().catch(() => undefined);
        },
      };
    },
    flush: () => nc.flush(),
    onInterrupted: (listener) => {
      interrupted.add(listener);
      return () => {
        interrupted.delete(listener);
      };
    },
    close: async () => {
      subs.clear();
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
};
