import type { JetStreamEventStoreOptions } from './jetstream.js';

// The settings of the log's server engines ride on the MSGXC_EVENTSTORE URL, which
// app/engines.ts chooses the engine from: a nats:// URL's query carries the JetStream options.

/** Hides a password in a URL before it goes into an error message or a log line. */
export const redactUrl = (url: string): string => url.replace(/\/\/[^/@]*@/g, '//***@');

/** An error naming the setting (with any password hidden) and what is wrong with it. */
export const eventStoreUrlError = (url: string, why: string): Error =>
  new Error(`MSGXC_EVENTSTORE=${redactUrl(url)}: ${why}`);

const fail = (url: string, why: string): never => {
  throw eventStoreUrlError(url, why);
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
