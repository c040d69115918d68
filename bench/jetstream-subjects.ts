// What the JetStream log's layout costs the server: the adapter stores each append on its own
// subject (`<stream>.<ordinal>`, see adapters/eventstore/jetstream-subjects.ts), so the
// stream holds as many subjects as messages. The alternative a current server would allow
// (one subject per event stream, guarded by its last sequence) holds one per event stream.
// For each nats-server release, one JetStream node, MESSAGES messages of the adapter's size:
//   per-append   every message on a new subject (the adapter's layout)
//   per-stream   the same messages on MESSAGES / 10 subjects (ten appends per event stream)
// and reports the publish rate, the server's resident memory after the fill and again after
// a restart (the server then holds only what it rebuilt from its store: the per-subject
// index among it, without the fill's garbage), and how long the restart took.
//   npx vite-node bench/jetstream-subjects.ts [messages, default 200000]
// (BENCH_NATS_RELEASES=debian or =current measures only one release; test/infra is loaded
// by path at run time, so the build does not pull the test helpers into dist/.)
import { connect, headers } from 'nats';
import type { NatsConnection } from 'nats';

type Release = 'debian' | 'current';
interface NatsInfra {
  startNats: (options: { jetstream?: boolean; release?: Release }) => Promise<{
    readonly url: string;
    readonly version: string;
    readonly monitorUrl: string;
    stop(): Promise<void>;
    restart(): Promise<void>;
  }>;
}
const { startNats } = (await import(new URL('../test/infra/nats.ts', import.meta.url).pathname)) as NatsInfra;

const MESSAGES = Number(process.argv[2] ?? '200000');
const IN_FLIGHT = 256;
if (!Number.isSafeInteger(MESSAGES / 10) || MESSAGES / 10 <= IN_FLIGHT)
  throw new Error('messages: a multiple of 10, above 2560');
const body = new TextEncoder().encode(
  JSON.stringify({ r: 0, e: [{ t: 'MessagePublished', d: { msg: 'hello '.repeat(40) }, m: { eventId: 'bench' } }] }),
);

const memMiB = async (monitorUrl: string): Promise<number> =>
  ((await (await fetch(`${monitorUrl}/varz`)).json()) as { mem: number }).mem / (1 << 20);

// Publishes every message with the adapter's guard (no message on the subject yet, or the
// previous one's sequence), IN_FLIGHT at a time; returns messages per second.
const fill = async (nc: NatsConnection, prefix: string, subjectOf: (i: number) => string): Promise<number> => {
  const last = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < MESSAGES; i = next++) {
        const subject = `${prefix}.${subjectOf(i)}`;
        const h = headers();
        h.set('Nats-Expected-Last-Subject-Sequence', String(last.get(subject) ?? 0));
        // Two messages of one subject are MESSAGES / 10 apart, far more than IN_FLIGHT, so the
        // earlier one has been acknowledged (a stuck one would make this guard refuse, loudly).
        const ack = JSON.parse(
          new TextDecoder().decode((await nc.request(subject, body, { headers: h, timeout: 10_000 })).data),
        ) as { seq?: number; error?: unknown };
        if (ack.seq === undefined) throw new Error(`publish refused: ${JSON.stringify(ack.error)}`);
        last.set(subject, ack.seq);
      }
    }),
  );
  return MESSAGES / ((performance.now() - started) / 1000);
};

const rows: string[] = [];
const releases = (process.env['BENCH_NATS_RELEASES'] ?? 'debian,current')
  .split(',')
  .filter((r): r is Release => r === 'debian' || r === 'current');
for (const release of releases) {
  for (const [layout, subjectOf] of [
    ['per-append', (i: number) => `s${String(i % (MESSAGES / 10))}.${String(Math.floor(i / (MESSAGES / 10)))}`],
    ['per-stream', (i: number) => `s${String(i % (MESSAGES / 10))}`],
  ] as const) {
    // A fresh server per cell, so one layout's memory does not carry into the other's.
    const server = await startNats({ jetstream: true, release });
    let nc: NatsConnection | undefined = await connect({ servers: server.url });
    try {
      await nc.request(
        '$JS.API.STREAM.CREATE.BENCH',
        JSON.stringify({ name: 'BENCH', subjects: ['bench.>'], storage: 'file' }),
        { timeout: 10_000 },
      );
      const empty = await memMiB(server.monitorUrl);
      const rate = await fill(nc, 'bench', subjectOf);
      const filled = await memMiB(server.monitorUrl);
      await nc.close();
      nc = undefined;
      const restartStarted = performance.now();
      await server.restart();
      const restartS = (performance.now() - restartStarted) / 1000;
      const restarted = await memMiB(server.monitorUrl);
      nc = await connect({ servers: server.url });
      const info = JSON.parse(
        new TextDecoder().decode((await nc.request('$JS.API.STREAM.INFO.BENCH', undefined, { timeout: 10_000 })).data),
      ) as { state: { messages: number; num_subjects: number } };
      rows.push(
        `| ${server.version} | ${layout} | ${String(info.state.messages)} | ${String(info.state.num_subjects)} | ${rate.toFixed(0)} | ` +
          `${empty.toFixed(0)} / ${filled.toFixed(0)} / ${restarted.toFixed(0)} | ${restartS.toFixed(1)} |`,
      );
      process.stderr.write(`${rows[rows.length - 1] ?? ''}\n`);
    } finally {
      await nc?.close();
      await server.stop();
    }
  }
}
console.log(
  '| nats-server | layout | messages | subjects | publishes/s | server RSS MiB: empty / filled / restarted | restart s |',
);
console.log('|---|---|---:|---:|---:|---|---:|');
for (const r of rows) console.log(r);
