import { join } from 'node:path';
import type { EventStoreDbOptions } from './eventstoredb.js';
import type { JetStreamEventStoreOptions } from './jetstream.js';
import { createMemoryEventStore } from './memory.js';
import type { EventStore } from '../../ports/eventstore.js';
import { createSqliteEventStore } from './sqlite.js';

// One setting (MSGXC_EVENTSTORE) picks the engine of the log:
//   embedded                      SQLite file <dataDir>/events.db (the default)
//   memory                        in-process, lost on exit (tests, benchmarks)
//   nats://h1:4222[,h2:4222,...][?stream=MSGXC_EVENTS&prefix=msgxc&replicas=3&timeout=1500]
//                                 NATS JetStream; hosts are a cluster's seed list
//   esdb://..., esdb+discover://..., kurrentdb://..., kurrentdb+discover://...
//                                 EventStoreDB / KurrentDB, the client's own connection string
// The server engines' clients are imported only when chosen: the embedded default should
// not pay for loading them (the EventStoreDB client alone takes ~0.3 s and a native module).
export interface OpenEventStoreOptions {
  /** Where the embedded engine keeps its file. */
  readonly dataDir: string;
  /** Commit the embedded log in a writer thread (see sqlite-worker-queue.ts). */
  readonly writerThread?: boolean;
  /** Defaults for JetStream settings the URL does not give. */
  readonly jetstream?: Omit<JetStreamEventStoreOptions, 'servers' | 'connection'>;
  readonly eventStoreDb?: Omit<EventStoreDbOptions, 'connectionString'>;
}

/** Hides a password in a URL before it goes into an error message or a log line. */
export const redactUrl = (url: string): string => url.replace(/\/\/[^/@]*@/g, '//***@');

const fail = (url: string, why: string): never => {
  throw new Error(`MSGXC_EVENTSTORE=${redactUrl(url)}: ${why}`);
};

const positiveInt = (url: string, name: string, value: string, max: number): number => {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  return n >= 1 && n <= max ? n : fail(url, `${name} must be an integer from 1 to ${String(max)}`);
};

/** Splits a nats:// setting into server URLs and JetStream options. */
export const parseNatsUrl = (
  url: string,
): { servers: string[]; options: Omit<JetStreamEventStoreOptions, 'servers' | 'connection'> } => {
  const [hostList = '', query = ''] = url.slice('nats://'.length).split('?', 2);
  const servers = hostList
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')
    .map((h) => `nats://${h.replace(/^nats:\/\//, '')}`);
  if (servers.length === 0) fail(url, 'no NATS server given');
  const options: { -readonly [K in keyof JetStreamEventStoreOptions]?: JetStreamEventStoreOptions[K] } = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (key === 'stream')
      options.streamName = /^[A-Za-z0-9_-]+$/.test(value) ? value : fail(url, 'stream must be letters, digits, _ or -');
    else if (key === 'prefix') options.subjectPrefix = value;
    else if (key === 'replicas') options.replicas = positiveInt(url, 'replicas', value, 5);
    else if (key === 'timeout') options.requestTimeoutMs = positiveInt(url, 'timeout', value, 60_000);
    else fail(url, `unknown setting ${key} (known: stream, prefix, replicas, timeout)`);
  }
  return { servers, options };
};

export const openEventStore = async (url: string, options: OpenEventStoreOptions): Promise<EventStore> => {
  if (url === 'embedded')
    return createSqliteEventStore({
      file: join(options.dataDir, 'events.db'),
      writerThread: options.writerThread ?? false,
    });
  if (url === 'memory') return createMemoryEventStore();
  if (url.startsWith('nats://')) {
    const parsed = parseNatsUrl(url);
    const { openJetStreamEventStore } = await import('./jetstream.js');
    return openJetStreamEventStore({ ...options.jetstream, ...parsed.options, servers: parsed.servers });
  }
  if (/^(esdb|kurrentdb)(\+discover)?:\/\//.test(url)) {
    const { openEventStoreDbEventStore } = await import('./eventstoredb.js');
    return openEventStoreDbEventStore({ ...options.eventStoreDb, connectionString: url });
  }
  return fail(url, 'expected embedded, memory, nats://... or esdb://... (kurrentdb://...)');
};
