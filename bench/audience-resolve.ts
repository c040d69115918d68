// How long `POST /api/v2/multicast {"segment": id}` takes when the audience is resolved inside
// the request (issue 13): a segment of N users (default 100,000: chunked, N / 2,000 AudienceChunk
// appends, each durable before the next directory page is read) against the baseline of the
// same run, a segment of 10,000 users (the largest resolved as one `users` list, one append).
//   npx tsc -p tsconfig.build.json && node dist/bench/audience-resolve.js [users] [rounds]
// The embedded stack, one built server process; delivery's reactors off (triage of the audience
// would compete for the 2 shared cores with the timed requests; it runs after the answer anyway).
// Rounds alternate the two segments; medians are printed, with the load average.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, startServer } from './wrk-support.js';
import { median } from './median.js';

const USERS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const SMALL = 10_000;
const IMPORT_PART = 20_000;
const BIN = resolve(import.meta.dirname, '../bin/msgxc.js');

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-bench-audience-'));
  const server = await startServer(BIN, join(dir, 'data'), { MSGXC_REACTORS: 'false', MSGXC_SHED_LAG_MS: '60000' });
  const base = `http://127.0.0.1:${String(server.port)}`;
  const admin = await adminToken();
  const call = async (method: string, path: string, body?: string, type = 'application/json') => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': type },
      ...(body === undefined ? {} : { body }),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path}: ${String(r.status)} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  try {
    const imported = performance.now();
    for (let from = 0; from < USERS; from += IMPORT_PART) {
      const lines = [];
      for (let i = from; i < Math.min(USERS, from + IMPORT_PART); i += 1)
        lines.push(
          JSON.stringify({ uid: `aud-${String(i).padStart(7, '0')}`, tags: i < SMALL ? ['all', 'small'] : ['all'] }),
        );
      await call(
        'POST',
        `/api/v2/users/import?id=bench&firstLine=${String(from + 1)}`,
        `${lines.join('\n')}\n`,
        'application/x-ndjson',
      );
    }
    const segment = async (name: string, tag: string, expected: number): Promise<string> => {
      const { id } = (await call('POST', '/api/v2/segments', JSON.stringify({ name, query: { tag } }))) as {
        id: string;
      };
      // The directory follows the log: wait until it has indexed every imported user.
      for (;;) {
        const { count } = (await call('GET', `/api/v2/segments/${id}/count`)) as { count: number };
        if (count === expected) return id;
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const small = await segment('small', 'small', SMALL);
    const all = await segment('all', 'all', USERS);
    console.log(
      `imported and indexed ${String(USERS)} users in ${((performance.now() - imported) / 1000).toFixed(1)} s`,
    );

    // Which way each audience was recorded (outside the timed part): `users` and `chunked` expected.
    const kinds = new Set<string>();
    const audienceOf = async (mid: string): Promise<{ kind: string }> => {
      const { events } = (await call('GET', `/api/v2/streams/message-${mid}`)) as {
        events: { type: string; data: { audience?: { kind: string } } }[];
      };
      return events.find((e) => e.type === 'MessagePublished')?.data.audience ?? { kind: 'none' };
    };
    const timed = async (id: string, key: string): Promise<number> => {
      const t = performance.now();
      const r = await fetch(`${base}/api/v2/multicast`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ segment: id, msg: 'benchmark multicast' }),
      });
      await r.text();
      const elapsed = performance.now() - t;
      if (r.status !== 200) throw new Error(`multicast: ${String(r.status)}`);
      kinds.add((await audienceOf(r.headers.get('x-message-id') ?? '')).kind);
      return elapsed;
    };
    const times = { small: [] as number[], all: [] as number[] };
    for (let round = 0; round < ROUNDS; round += 1) {
      times.small.push(await timed(small, `bench-small-${String(round)}`));
      times.all.push(await timed(all, `bench-all-${String(round)}`));
      console.log(
        `round ${String(round)}: ${String(SMALL)} users ${times.small.at(-1)?.toFixed(0) ?? ''} ms, ` +
          `${String(USERS)} users ${times.all.at(-1)?.toFixed(0) ?? ''} ms, load ${loadavg()[0]?.toFixed(1) ?? ''}`,
      );
    }
    const [s, a] = [median(times.small), median(times.all)];
    console.log(
      JSON.stringify({
        users: USERS,
        rounds: ROUNDS,
        audiences: [...kinds].sort(),
        baselineMs: Math.round(s),
        chunkedMs: Math.round(a),
        ratio: Number((a / s).toFixed(2)),
        msPer1000: {
          baseline: Number(((s / SMALL) * 1000).toFixed(2)),
          chunked: Number(((a / USERS) * 1000).toFixed(2)),
        },
        extrapolatedMillionS: Number((((a / USERS) * 1_000_000) / 1000).toFixed(1)),
        load: loadavg().map((x) => Number(x.toFixed(1))),
      }),
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
