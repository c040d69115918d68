// The event store engines side by side, in one run on one machine: embedded SQLite vs
// NATS JetStream R1 (one node) vs JetStream R3 (three-node cluster on loopback), the
// JetStream cells once on Debian's nats-server 2.9.10 and once on the current release
// (test/infra/versions.env; BENCH_NATS_RELEASES=debian or =current measures only one).
//   appends/s   1 and 64 concurrent appenders, each appending one event at a time to its
//               own stream with an exact expected revision (what the command handler does);
//   catch-up    events/s reading a log of CATCHUP_EVENTS events from position 0, with
//               readAll pages of 500 and with subscribeAll (what a projection does).
// Servers come from test/infra (real nats-server processes), so run it from the sources:
//   npx vite-node bench/eventstore-engines.ts [seconds per append cell, default 3]
// (test/infra is loaded by path at run time, so `npm run build` does not pull the test
// helpers into dist/.)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { openJetStreamEventStore } from '../adapters/eventstore/jetstream.js';
import type { EventStore } from '../ports/eventstore.js';
import { createSqliteEventStore } from '../adapters/eventstore/sqlite.js';

// The part of test/infra/nats.ts used here.
type Release = 'debian' | 'current';
interface NatsInfra {
  startNats: (options: {
    jetstream?: boolean;
    release?: Release;
  }) => Promise<{ readonly url: string; readonly version: string; stop(): Promise<void> }>;
  startNatsCluster: (
    size?: number,
    options?: { release?: Release },
  ) => Promise<{ readonly urls: readonly string[]; stop(): Promise<void> }>;
}
const { startNats, startNatsCluster } = (await import(
  new URL('../test/infra/nats.ts', import.meta.url).pathname
)) as NatsInfra;

const seconds = Number(process.argv[2] ?? '3');
const CATCHUP_EVENTS = Number(process.env['BENCH_CATCHUP_EVENTS'] ?? '20000');
const concurrencies = [1, 64] as const;

const metadata = {
  eventId: 'bench',
  occurredAt: new Date(0).toISOString(),
  actor: { uid: 'bench-user', roles: ['publisher'] },
  correlationId: 'bench-correlation',
  causationId: 'bench-causation',
};
const data = {
  mid: 'm-0001',
  from: 'bench-user',
  audience: { users: ['a', 'b', 'c'] },
  msg: 'hello '.repeat(40),
  opts: {},
};

interface Engine {
  readonly name: string;
  readonly open: () => Promise<{ store: EventStore; drop: () => Promise<void> }>;
}

const sqlite: Engine = {
  name: 'embedded sqlite',
  open: () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-'));
    const store = createSqliteEventStore({ file: join(dir, 'events.db') });
    return Promise.resolve({
      store,
      drop: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
  },
};

const jetstream = (name: string, servers: readonly string[], replicas: number): Engine => ({
  name,
  open: async () => {
    const id = randomBytes(5).toString('hex');
    const streamName = `MSGXC_BENCH_${id}`;
    const store = await openJetStreamEventStore({ servers, replicas, streamName, subjectPrefix: `bench${id}` });
    return {
      store,
      drop: async () => {
        await store.close();
        const nc = await connect({ servers: [...servers] });
        await nc.request(`$JS.API.STREAM.DELETE.${streamName}`, undefined, { timeout: 10_000 });
        await nc.close();
      },
    };
  },
});

// Appenders on their own streams, for `ms` milliseconds; returns appends per second.
const appendRate = async (store: EventStore, concurrency: number, ms: number, tag: string): Promise<number> => {
  let count = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, k) => {
      for (let revision = -1; performance.now() < deadline; revision++) {
        const r = await store.append(
          `${tag}-${String(k)}`,
          [{ type: 'MessagePublished', data, metadata }],
          revision === -1 ? 'no_stream' : revision,
        );
        if (r.kind !== 'appended') throw new Error('unexpected conflict');
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
};

const fill = async (store: EventStore, events: number): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async (_, k) => {
      for (let revision = -1; next < events; revision++, next++) {
        await store.append(
          `fill-${String(k)}`,
          [{ type: 'MessagePublished', data, metadata }],
          revision === -1 ? 'no_stream' : revision,
        );
      }
    }),
  );
};

const readAllRate = async (store: EventStore, events: number): Promise<number> => {
  const started = performance.now();
  let read = 0;
  for (let after = 0; read < events; ) {
    const page = await store.readAll({ after, limit: Math.min(500, events - read) });
    const last = page[page.length - 1];
    if (last === undefined) throw new Error('log ended early');
    read += page.length;
    after = last.position;
  }
  return read / ((performance.now() - started) / 1000);
};

const subscribeRate = async (store: EventStore, events: number): Promise<number> => {
  const started = performance.now();
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const sub = store.subscribeAll(
      0,
      (batch) => {
        seen += batch.length;
        if (seen >= events) void sub.close().then(resolve);
        return Promise.resolve();
      },
      reject,
    );
  });
  return seen / ((performance.now() - started) / 1000);
};

interface Row {
  engine: string;
  metric: string;
  value: number;
}
const rows: Row[] = [];

const measure = async (engine: Engine): Promise<void> => {
  const { store, drop } = await engine.open();
  try {
    await appendRate(store, 8, 300, 'warmup');
    for (const c of concurrencies) {
      rows.push({
        engine: engine.name,
        metric: `appends/s x${String(c)}`,
        value: await appendRate(store, c, seconds * 1000, `c${String(c)}`),
      });
    }
  } finally {
    await drop();
  }
  // A fresh log of exactly CATCHUP_EVENTS events for the catch-up cells.
  const fresh = await engine.open();
  try {
    await fill(fresh.store, CATCHUP_EVENTS);
    rows.push({
      engine: engine.name,
      metric: 'catch-up readAll ev/s',
      value: await readAllRate(fresh.store, CATCHUP_EVENTS),
    });
    rows.push({
      engine: engine.name,
      metric: 'catch-up subscribeAll ev/s',
      value: await subscribeRate(fresh.store, CATCHUP_EVENTS),
    });
  } finally {
    await fresh.drop();
  }
};

const releases = (process.env['BENCH_NATS_RELEASES'] ?? 'debian,current')
  .split(',')
  .filter((r): r is Release => r === 'debian' || r === 'current');
process.stderr.write(`measuring ${sqlite.name}...\n`);
await measure(sqlite);
for (const release of releases) {
  const single = await startNats({ jetstream: true, release });
  const cluster = await startNatsCluster(3, { release });
  try {
    const engines = [
      jetstream(`jetstream ${single.version} R1`, [single.url], 1),
      jetstream(`jetstream ${single.version} R3`, cluster.urls, 3),
    ];
    for (const engine of engines) {
      process.stderr.write(`measuring ${engine.name}...\n`);
      await measure(engine);
    }
  } finally {
    await Promise.allSettled([single.stop(), cluster.stop()]);
  }
}

const metrics = [...new Set(rows.map((r) => r.metric))];
const engines = [...new Set(rows.map((r) => r.engine))];
const value = (engine: string, metric: string): number =>
  rows.find((r) => r.engine === engine && r.metric === metric)?.value ?? Number.NaN;
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
console.log(
  `| metric | ${engines.join(' | ')} | ${engines
    .slice(1)
    .map((e) => `${e} / sqlite`)
    .join(' | ')} |`,
);
console.log(
  `|---|${engines.map(() => '---:').join('|')}|${engines
    .slice(1)
    .map(() => '---:')
    .join('|')}|`,
);
for (const m of metrics) {
  const base = value(sqlite.name, m);
  console.log(
    `| ${m} | ${engines.map((e) => fmt(value(e, m))).join(' | ')} | ${engines
      .slice(1)
      .map((e) => `${fmt(value(e, m) / base)}x`)
      .join(' | ')} |`,
  );
}
