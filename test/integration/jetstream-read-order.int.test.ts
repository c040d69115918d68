import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import type { JetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import { jetStreamApi } from '../../adapters/eventstore/jetstream-api.js';
import type { JetStreamApi, StoredMessage } from '../../adapters/eventstore/jetstream-api.js';
import { bulkRead } from '../../adapters/eventstore/jetstream-bulk.js';
import { jetStreamReads } from '../../adapters/eventstore/jetstream-read.js';
import { subjectScheme } from '../../adapters/eventstore/jetstream-subjects.js';
import { createTipCache } from '../../adapters/eventstore/jetstream-tips.js';
import type { RecordedEvent } from '../../ports/eventstore.js';
import { needs } from '../infra/needs.js';
import { natsSingleTargets } from '../infra/nats-targets.js';

// Reading the log by sequence takes long stretches from a short-lived consumer. A consumer
// that starts over while its stream's leader changes delivers a stretch again; the chaos test
// once saw a subscription hand ~250 messages to its handler twice. Here the consumer's answer
// is replaced by one that repeats or starts early, and every read must still give each event
// once, in log order, the same as reading message by message.
type Bulk = (startSeq: number, count: number) => Promise<StoredMessage[]>;

const APPENDS = 300;

const positions = (events: readonly RecordedEvent[]): number[] => events.map((e) => e.position);

const serverTests = (url: string): void => {
  const streamName = `MSGXC_T_${randomBytes(6).toString('hex')}`;
  const subjectPrefix = `r${randomBytes(6).toString('hex')}`;
  let store: JetStreamEventStore;
  let nc: NatsConnection;
  let api: JetStreamApi;
  let realBulk: Bulk;

  const readsWith = (bulk: Bulk) =>
    jetStreamReads({
      api,
      bulk,
      scheme: subjectScheme(subjectPrefix),
      tips: createTipCache(),
      retry: { forMs: 10_000 },
      streamName,
    });

  beforeAll(async () => {
    store = await openJetStreamEventStore({ servers: url, streamName, subjectPrefix });
    for (let i = 0; i < APPENDS; i += 1) {
      const events = Array.from({ length: 1 + (i % 3) }, (_, j) => ({
        type: 'R',
        data: { i, j },
        metadata: {
          eventId: `r-${String(i)}-${String(j)}`,
          occurredAt: '2026-12-07T12:00:00.000Z',
          actor: { uid: 'u', roles: [] },
          correlationId: 'c',
          causationId: 'c',
        },
      }));
      await store.append(`s-${String(i % 7)}`, events, 'any');
    }
    nc = await connect({ servers: url });
    api = jetStreamApi(nc, streamName, 5_000);
    realBulk = (startSeq, count) => bulkRead(nc, api, streamName, startSeq, count, 5_000);
  }, 60_000);

  afterAll(async () => {
    await api.call(`STREAM.DELETE.${streamName}`).catch(() => undefined);
    api.close();
    await nc.close();
    await store.close();
  });

  // Message by message only: the reference every other way of reading must match.
  const reference = (after: number, limit: number) => readsWith(() => Promise.resolve([])).readAll({ after, limit });

  const cases: ReadonlyArray<[string, (real: Bulk) => Bulk]> = [
    ['the consumer as it is', (real) => real],
    [
      'a consumer that starts over halfway through its page',
      (real) => async (start, count) => {
        const got = await real(start, count);
        return [...got.slice(0, Math.ceil(got.length / 2)), ...got];
      },
    ],
    [
      'a consumer that starts before the sequence asked for',
      (real) => async (start, count) => [...(await real(Math.max(1, start - 40), 40)), ...(await real(start, count))],
    ],
    [
      'a consumer whose page ends with a stretch it already gave',
      (real) => async (start, count) => {
        const got = await real(start, count);
        return [...got, ...got.slice(0, 10)];
      },
    ],
  ];

  for (const [name, make] of cases)
    it(`reads each event once, in order, with ${name}`, async () => {
      const reads = readsWith(make(realBulk));
      const whole = await reference(0, 100_000);
      expect(whole.length).toBe(Array.from({ length: APPENDS }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0));
      expect(positions(await reads.readAll({ after: 0, limit: 100_000 }))).toEqual(positions(whole));
      // Pages as a subscription reads them, starting mid-message and mid-log.
      for (const [after, limit] of [
        [whole[0]?.position ?? 0, 150],
        [whole[101]?.position ?? 0, 200],
        [whole[250]?.position ?? 0, 1_000],
      ] as const) {
        const got = positions(await reads.readAll({ after, limit }));
        expect(got).toEqual(positions(await reference(after, limit)));
        expect(got.every((p, i) => i === 0 || p > (got[i - 1] ?? 0))).toBe(true);
      }
    });
};

describe('JetStream log read in sequence order', () => {
  const current = natsSingleTargets().find((t) => t.release === 'current');
  if (current === undefined) throw new Error('no current nats-server target');
  needs(current.urlVar, current.label, serverTests);
});
