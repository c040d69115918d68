// What every channel pair of bench/channels.ts shares: the test PKI, the message, the
// deliveries, and the adapter side of a pair.
import { rootCertificates } from 'node:tls';
import type { Channel, Delivery, OutgoingMessage, Recipient } from '../ports/channel.js';
import { testPki } from '../test/standins/tls.js';

export const pki = await testPki();
export const message: OutgoingMessage = {
  mid: '0190f0a0-0000-7000-8000-000000000001',
  from: 'alice',
  tid: 'lobby',
  threadName: 'Lobby',
  msg: 'hello '.repeat(20),
  opts: { data: { key: 'whatever' } },
  urgency: 3,
  at: new Date().toISOString(),
};
export const deliveries = <R extends Recipient>(n: number, to: (i: number) => R): Delivery<R>[] =>
  Array.from({ length: n }, (_, i) => ({ id: `b-${i}`, attempt: 0, to: to(i), content: { kind: 'message', message } }));
export const viaAdapter =
  <R extends Recipient>(ch: Channel<R>, to: (i: number) => R) =>
  async (n: number): Promise<void> => {
    const outcomes = await ch.deliver(deliveries(n, to));
    const bad = outcomes.filter((o) => o.kind !== 'delivered').length;
    if (bad > 0) throw new Error(`${ch.provider}: ${bad} sends not delivered`);
  };
export const ca = [...rootCertificates, pki.ca];

export interface Pair {
  readonly name: string;
  readonly concurrency: number;
  readonly bare?: (n: number) => Promise<void>;
  readonly adapter: (n: number) => Promise<void>;
  readonly close: () => Promise<void>;
}
