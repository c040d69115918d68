import { randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJetStreamEventStore } from '../../adapters/eventstore/jetstream.js';
import type { JetStreamEventStoreOptions } from '../../adapters/eventstore/jetstream.js';
import { SLOTS } from '../../adapters/eventstore/jetstream-subjects.js';
import type { EventStore, EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import { eventStoreContract } from '../contract/eventstore.contract.js';
import { needs } from '../infra/needs.js';
import { natsClusterTargets, natsSingleTargets } from '../infra/nats-targets.js';

// The shared EventStore contract against real nats-servers: a single JetStream node (R1) and
// the three-node cluster (R3), each on every release the run carries (Debian's 2.9.10 and
// the current release, test/infra/nats-targets.ts); suite names say which version ran.
// Every store gets its own JetStream stream and subject prefix, deleted afterwards, so tests
// and runs never see each other's events. A release not in the run is reported skipped.
const singles = natsSingleTargets();
const clusters = natsClusterTargets();

const unique = (): { streamName: string; subjectPrefix: string } => {
  const id = randomBytes(6).toString('hex');
  return { streamName: `MSGXC_T_${id}`, subjectPrefix: `t${id}` };
};

const harness = (servers: string | readonly string[], replicas: number) => {
  let connection: NatsConnection | undefined;
  const admin = async (verb: string, body?: unknown): Promise<void> => {
    connection ??= await connect({ servers: typeof servers === 'string' ? servers : [...servers] });
    const reply = await connection.request(`$JS.API.${verb}`, body === undefined ? undefined : JSON.stringify(body), {
      timeout: 10_000,
    });
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { error?: unknown };
    if (answer.error !== undefined) throw new Error(`${verb}: ${JSON.stringify(answer.error)}`);
  };
  const open = async (extra: Partial<JetStreamEventStoreOptions> = {}, names = unique()) => {
    const store = await openJetStreamEventStore({ servers, replicas, ...names, ...extra });
    return {
      store,
      names,
      cleanup: async () => {
        await store.close();
        await admin(`STREAM.DELETE.${names.streamName}`);
      },
    };
  };
  const closeAdmin = async () => {
    await connection?.close();
  };
  return { open, admin, closeAdmin };
};

const meta = (n: number) => ({
  eventId: `e-${String(n)}`,
  occurredAt: '2024-05-01T12:00:00.000Z',
  actor: { uid: 'u', roles: [] },
  correlationId: 'c',
  causationId: 'c',
});
const evs = (n: number, type = 'E'): EventToAppend[] =>
  Array.from({ length: n }, (_, i) => ({ type: `${type}${String(i)}`, data: { i }, metadata: meta(i) }));

// A TCP relay to a NATS server that can hold back everything the server sends, so a
// publish reaches the server (and is stored) while its acknowledgement is lost to the client.
const ackHoldingRelay = async (
  target: string,
): Promise<{ url: string; hold: () => void; release: () => void; close: () => Promise<void> }> => {
  const { hostname, port } = new URL(target);
  let holding = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (holding) held.push(() => client.write(chunk));
      else client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `nats://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const write of held.splice(0)) write();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

// Which check answers the retry of a stored append inside the duplicate window depends on
// the server (read in nats-server's sources, and seen here on 2.9.10 and 2.15.3): 2.9 looks
// up the Nats-Msg-Id first (a duplicate ack); from 2.12 a single node checks the claim first
// (a refusal, after which the store finds its own Nats-Msg-Id on the claimed subject), while
// a cluster's leader still deduplicates first. For other versions (2.10, 2.11, or an
// external server whose version is not known here) either answer is right.
const retryAnswer = (
  version: string | undefined,
  replicas: number,
): [duplicateAcks: number, recoveredAfterRetry: number] | undefined => {
  const [major, minor = 0] = (version ?? '').split('.').map(Number);
  if (major !== 2 || (minor > 9 && minor < 12)) return undefined;
  return minor >= 12 && replicas === 1 ? [0, 1] : [1, 0];
};

const engineTests = (
  name: string,
  servers: string | readonly string[],
  replicas: number,
  version: string | undefined,
): void => {
  const h = harness(servers, replicas);
  afterAll(h.closeAdmin);
  eventStoreContract(name, () => h.open());

  describe(`${name}: JetStream specifics`, () => {
    let run: Awaited<ReturnType<typeof h.open>>;
    let store: EventStore;
    beforeAll(async () => {
      run = await h.open();
      store = run.store;
    });
    afterAll(async () => {
      await run.cleanup();
    });

    it('keeps stream names with dots, wildcards, colons and unicode apart and intact', async () => {
      const names = ['thread:a.b-c', 'thread:a.b', 'x.*', 'x.>', 'ünï çødé/🎉', 'a b'];
      for (const [i, s] of names.entries()) await store.append(s, evs(i + 1, `${String(i)}-`), 'no_stream');
      for (const [i, s] of names.entries()) {
        const events = await store.read(s);
        expect(events.map((e) => [e.stream, e.revision])).toEqual(Array.from({ length: i + 1 }, (_, r) => [s, r]));
      }
    });

    it('stores one append as one message, positions counting within it', async () => {
      const before = await store.head();
      const r = await store.append('multi', evs(5), 'no_stream');
      expect(r).toMatchObject({ kind: 'appended', nextRevision: 4 });
      const all = await store.readAll({ after: before, limit: 100 });
      const seq = Math.floor((all[0]?.position ?? 0) / SLOTS);
      expect(all.map((e) => e.position)).toEqual([0, 1, 2, 3, 4].map((i) => seq * SLOTS + i));
      // A page may end inside a message and the next page resumes inside it.
      const page = await store.readAll({ after: seq * SLOTS + 1, limit: 2 });
      expect(page.map((e) => e.revision)).toEqual([2, 3]);
    });

    it('reads long stretches through a short-lived consumer, the same as single gets, leaving no consumer', async () => {
      const before = await store.head();
      await Promise.all(
        Array.from({ length: 10 }, async (_, k) => {
          for (let i = 0; i < 30; i += 1)
            await store.append(`long-${String(k)}`, evs(1 + (i % 3), `${String(k)}.${String(i)}-`), 'any');
        }),
      );
      const bulk = await store.readAll({ after: before, limit: 10_000 });
      expect(bulk).toHaveLength(10 * (10 + 10 * 2 + 10 * 3));
      const paged: RecordedEvent[] = [];
      for (let after = before; ; ) {
        const page = await store.readAll({ after, limit: 7 });
        const last = page[page.length - 1];
        if (last === undefined) break;
        paged.push(...page);
        after = last.position;
      }
      expect(bulk).toEqual(paged);
      await expect
        .poll(
          async () => {
            const nc = await connect({ servers: typeof servers === 'string' ? servers : [...servers] });
            const info = await nc.request(`$JS.API.STREAM.INFO.${run.names.streamName}`, undefined, { timeout: 5_000 });
            await nc.close();
            return (JSON.parse(new TextDecoder().decode(info.data)) as { state: { consumer_count: number } }).state
              .consumer_count;
          },
          { timeout: 5_000 },
        )
        .toBe(0);
    });

    it('refuses an append of more events than one message can number', async () => {
      await expect(store.append('huge', evs(SLOTS + 1), 'any')).rejects.toThrow(/at most/);
      expect(await store.read('huge')).toEqual([]);
    });

    it('lets two store instances (two broker nodes) share a log: guards, stale tips, live wake-ups', async () => {
      const other = await openJetStreamEventStore({ servers, replicas, ...run.names });
      try {
        const seen: string[] = [];
        const sub = other.subscribeAll(await other.head(), (batch) => {
          seen.push(...batch.map((e) => e.type));
          return Promise.resolve();
        });
        expect(await store.append('shared', evs(1, 'a'), 'no_stream')).toMatchObject({ nextRevision: 0 });
        // `other` has never seen the stream; `store` now holds a tip that `other` will outdate.
        expect(await other.append('shared', evs(2, 'b'), 0)).toMatchObject({ nextRevision: 2 });
        expect(await store.append('shared', evs(1, 'c'), 0)).toEqual({
          kind: 'wrong_expected_revision',
          stream: 'shared',
          expected: 0,
          actual: 2,
        });
        expect(await store.append('shared', evs(1, 'c'), 'any')).toMatchObject({ nextRevision: 3 });
        expect((await other.read('shared')).map((e) => e.type)).toEqual(['a0', 'b0', 'b1', 'c0']);
        await expect.poll(() => seen, { timeout: 5_000 }).toEqual(['a0', 'b0', 'b1', 'c0']);
        await sub.close();
      } finally {
        await other.close();
      }
    });

    // The relay withholds the server's answers until a 300 ms request has timed out and been
    // retried, then lets everything through.
    const loseAcks = async (names: { streamName: string; subjectPrefix: string }, reader: EventStore) => {
      const relay = await ackHoldingRelay(typeof servers === 'string' ? servers : (servers[0] ?? ''));
      const lossy = await openJetStreamEventStore({ servers: relay.url, replicas, ...names, requestTimeoutMs: 300 });
      try {
        await lossy.append('lost-ack', evs(1, 'a'), 'no_stream');
        relay.hold();
        const pending = lossy.append('lost-ack', evs(2, 'b'), 0);
        // Held until the store has retried at least once (its first request timed out).
        for (const end = Date.now() + 10_000; lossy.stats().retriedPublishes === 0; ) {
          if (Date.now() > end) throw new Error('the held append was never retried');
          await sleep(20);
        }
        relay.release();
        expect(await pending).toMatchObject({ kind: 'appended', nextRevision: 2 });
        expect((await reader.read('lost-ack')).map((e) => e.type)).toEqual(['a0', 'b0', 'b1']);
        return lossy.stats();
      } finally {
        await lossy.close();
        await relay.close();
      }
    };

    it('answers a retry of a stored append as stored (within the duplicate window)', async () => {
      const stats = await loseAcks(run.names, store);
      expect(stats.retriedPublishes).toBeGreaterThan(0);
      const expected = retryAnswer(version, replicas);
      if (expected !== undefined) expect([stats.duplicateAcks, stats.recoveredAfterRetry]).toEqual(expected);
      else
        expect([
          [1, 0],
          [0, 1],
        ]).toContainEqual([stats.duplicateAcks, stats.recoveredAfterRetry]);
    });

    it('finds its own stored append when a retry is refused (duplicate window already passed)', async () => {
      // A 100 ms duplicate window: the retries come later, so the server refuses the claim
      // instead of deduplicating, and the store must recognise its own Nats-Msg-Id.
      const names = unique();
      await h.admin(`STREAM.CREATE.${names.streamName}`, {
        name: names.streamName,
        subjects: [`${names.subjectPrefix}.events.>`],
        storage: 'file',
        num_replicas: replicas,
        duplicate_window: 100_000_000,
      });
      const reader = await h.open({}, names);
      try {
        const stats = await loseAcks(names, reader.store);
        expect(stats.retriedPublishes).toBeGreaterThan(0);
        expect([stats.duplicateAcks, stats.recoveredAfterRetry]).toEqual([0, 1]);
      } finally {
        await reader.cleanup();
      }
    });

    // One process queues its own appends per stream, so the contract's race never reaches
    // the server; separate connections do. Before the per-append subjects, R3 stored them all.
    it('lets exactly one of several racing broker nodes claim each revision', async () => {
      const racers = await Promise.all(
        Array.from({ length: 6 }, () => openJetStreamEventStore({ servers, replicas, ...run.names })),
      );
      try {
        await store.append('raced', evs(1, 'seed'), 'no_stream');
        let last = 0;
        for (let round = 0; round < 4; round += 1) {
          const results = await Promise.all(
            racers.map((r, i) => r.append('raced', evs(1 + (i % 2), `r${String(round)}-${String(i)}-`), last)),
          );
          const won = results.flatMap((r) => (r.kind === 'appended' ? [r.nextRevision] : []));
          expect(won).toHaveLength(1);
          const next = won[0] ?? -1;
          expect(results.filter((r) => r.kind === 'wrong_expected_revision')).toEqual(
            Array.from({ length: racers.length - 1 }, () => ({
              kind: 'wrong_expected_revision',
              stream: 'raced',
              expected: last,
              actual: next,
            })),
          );
          last = next;
        }
        const events = await store.read('raced');
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
        expect(events).toHaveLength(last + 1);
      } finally {
        await Promise.all(racers.map((r) => r.close()));
      }
    });

    it('refuses a stream whose subjects belong to another prefix', async () => {
      await expect(
        openJetStreamEventStore({ servers, replicas, streamName: run.names.streamName, subjectPrefix: 'someone.else' }),
      ).rejects.toThrow(/captures/);
    });
  });
};

for (const t of singles) {
  needs(t.urlVar, `nats-server ${t.label}`, (url) => {
    engineTests(`JetStream ${t.label} single node (R1)`, url, 1, t.version);
  });
}
for (const t of clusters) {
  needs(t.urlVar, `nats-server ${t.label} cluster`, (urls) => {
    engineTests(`JetStream ${t.label} 3-node cluster (R3)`, urls.split(','), 3, t.version);
  });
}
