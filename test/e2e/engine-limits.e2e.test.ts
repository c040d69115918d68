import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Server } from './harness.js';
import { openSocket, type Frame } from './realtime-socket.js';
import { waitFor } from './standin-env.js';

// Input the HTTP layer accepts, at its bounds, that a production engine could refuse or read
// differently from the embedded one: the same requests run on both stacks (the e2e and
// e2e-production projects) and must be answered and carried out alike.
// - JetStream refuses a message over its max_payload (1 MB by default): an append of several
//   triage batches, each of 500 recipients with long uids and several steps, is over it.
// - NATS subjects: a uid with dots is escaped into one token, so its frames reach it alone.
// - Elasticsearch: search text with query syntax is words, not a query; 1,000 Han characters
//   are 1,000 words (one clause each).
// - Cassandra and Elasticsearch: opts with thousands of keys with dots are stored as text.

const longUid = (prefix: string, i: number): string => `${prefix}.${String(i)}.`.padEnd(128, 'x');

interface StreamPage {
  readonly events: readonly { readonly type: string; readonly data: Record<string, unknown> }[];
}

/** How many recipients the message's triage stream planned so far (full plans and live lists). */
const planned = async (s: Server, admin: string, mid: string): Promise<number> => {
  const r = await call(s, 'GET', `/api/v2/streams/${encodeURIComponent(`triage-${mid}`)}?limit=1000`, {
    token: admin,
  });
  if (r.status === 404) return 0;
  expect(r.status, r.text.slice(0, 300)).toBe(200);
  let n = 0;
  for (const e of (r.body as StreamPage).events) {
    if (e.type !== 'MessageTriaged') continue;
    const { recipients, live, liveOf } = e.data as {
      recipients?: unknown[];
      live?: unknown[];
      liveOf?: { count: number };
    };
    n += (recipients?.length ?? 0) + (live?.length ?? 0) + (liveOf?.count ?? 0);
  }
  return n;
};

/** Runs `fn` over `items`, `limit` at a time. */
const pool = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await fn(item);
      }
    }),
  );
};

describe('input at the HTTP bounds, carried out alike on every stack', () => {
  let s: Server;
  let admin: string;

  beforeAll(async () => {
    s = await startServer();
    admin = await token('admin-engine-limits', ['admin']);
  });
  afterAll(async () => {
    await s.stop();
    removeDir(s.dataDir);
  });

  it('plans a broadcast whose triage batches together exceed 1 MB, and triage goes on to the next message', async () => {
    // 2,000 recipients: four triage batches of 500, each ~330 kB (uids of 128 characters, an
    // email, a cell and three devices each, so five planned steps).
    const N = 2_000;
    const DEVICES = 3;
    const uids = Array.from({ length: N }, (_, i) => longUid('bulk', i));
    const lines = uids.map((uid, i) =>
      JSON.stringify({ uid, email: `bulk${String(i)}@example.org`, cell: '+4915112345678' }),
    );
    const imported = await call(s, 'POST', '/api/v2/users/import?id=engine-limits', {
      token: admin,
      raw: lines.join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(imported.status, imported.text.slice(0, 300)).toBe(200);
    await pool(uids, 16, async (uid) => {
      const t = await token(uid);
      for (let d = 0; d < DEVICES; d += 1) {
        const r = await call(s, 'POST', '/api/v2/enlist', { token: t, body: { os: 'android', token: `${uid}-${d}` } });
        expect(r.status, r.text.slice(0, 300)).toBeLessThan(300);
      }
    });

    const big = await call(s, 'POST', '/api/v2/broadcast', { token: admin, body: { msg: 'to everyone' } });
    expect(big.status, big.text).toBe(200);
    const bigMid = big.headers.get('x-message-id') ?? '';
    // Everyone known then: the imported users, the admin does not count as a user until known.
    const everyone = await waitFor(
      'the broadcast planned for every imported user',
      async () => {
        const n = await planned(s, admin, bigMid);
        return n >= N ? n : undefined;
      },
      90_000,
      500,
    ).catch((e: unknown) => {
      // What the broker said about it, for whoever reads the failure.
      const said = s
        .output()
        .split('\n')
        .filter((l) => /triage|payload|append/i.test(l));
      throw new Error(`${String(e)}\n${said.slice(-20).join('\n')}`);
    });
    expect(everyone).toBeGreaterThanOrEqual(N);

    // Triage is not stuck behind it: a message published after it is planned too.
    const after = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: uids[0], msg: 'after' } });
    expect(after.status, after.text).toBe(200);
    const afterMid = after.headers.get('x-message-id') ?? '';
    expect(
      await waitFor(
        'the next message planned',
        async () => ((await planned(s, admin, afterMid)) === 1 ? 1 : undefined),
        30_000,
        200,
      ),
    ).toBe(1);
  }, 400_000);

  it('delivers a frame for a uid with dots to that uid alone, not to a uid its subject could be read as', async () => {
    const dotted = 'rt.ann.smith'.padEnd(128, '.');
    const others = ['rt', 'rt.ann', 'rt%2Eann', 'rt-ann-smith'].filter((u) => /^[A-Za-z0-9._:@+=-]{1,128}$/.test(u));
    const sockets = await Promise.all([dotted, ...others].map(async (u) => openSocket(s, await token(u))));
    try {
      // Each session's first listing, so that what follows comes live.
      for (const socket of sockets) await socket.next((f) => f.type === 'unseen');
      const r = await call(s, 'POST', '/api/v2/send', {
        token: admin,
        body: { uid: dotted, msg: 'only for the dotted uid' },
      });
      expect(r.status, r.text).toBe(200);
      const mid = r.headers.get('x-message-id') ?? '';
      const isIt = (f: Frame): boolean => f.type === 'message' && f.mid === mid;
      const [mine, ...rest] = sockets;
      await mine?.next(isIt, 15_000);
      // The others answer a ping after the frame would have reached them.
      for (const socket of rest) {
        socket.send({ type: 'ping', id: 1 });
        await socket.next((f) => f.type === 'pong');
        expect(socket.frames.filter(isIt)).toEqual([]);
      }
    } finally {
      await Promise.all(sockets.map((x) => x.close()));
    }
  });

  it('searches text with query syntax as words, and 1,000 Han characters as 1,000 words', async () => {
    const text = 'alpha and beta or gamma 2 to 3 al zeta';
    const r = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid: 'search-reader', msg: text } });
    expect(r.status, r.text).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const search = (q: string) =>
      call(s, 'GET', `/api/v2/analytics/messages?text=${encodeURIComponent(q)}`, { token: admin });
    await waitFor(
      'the message indexed',
      async () => {
        const found = await search('alpha');
        return (found.body as { messages?: { mid: string }[] }).messages?.some((m) => m.mid === mid) === true
          ? true
          : undefined;
      },
      30_000,
      200,
    );
    for (const q of [
      'alpha AND beta* OR "gamma"~2 /al.*/ \\ {} [2 TO 3] ^ : zeta!',
      'alpha:beta gamma:(zeta)',
      '+alpha -beta',
    ]) {
      const found = await search(q);
      expect(found.status, `${q}: ${found.text.slice(0, 300)}`).toBe(200);
      expect(
        (found.body as { messages: { mid: string }[] }).messages.map((m) => m.mid),
        q,
      ).toEqual([mid]);
    }
    const regex = await search('/.*/');
    expect(regex.status, regex.text.slice(0, 300)).toBe(200);
    expect((regex.body as { messages: unknown[] }).messages).toEqual([]);
    const han = await search('字'.repeat(1_000));
    expect(han.status, han.text.slice(0, 300)).toBe(200);
    expect((han.body as { messages: unknown[] }).messages).toEqual([]);
    const manyWords = await search(
      Array.from({ length: 500 }, (_, i) => String.fromCharCode(0x4e00 + i) + 'a').join(''),
    );
    expect(manyWords.status, manyWords.text.slice(0, 300)).toBe(200);
  });

  it('stores a message whose opts hold thousands of keys with dots, and reads it back whole', async () => {
    const opts: Record<string, unknown> = {};
    for (let i = 0; i < 3_000; i += 1) opts[`k.${String(i)}`] = i % 2 === 0 ? i : `v.${String(i)}`;
    const r = await call(s, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: 'opts-reader', msg: 'many keys', opts },
    });
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    const mid = r.headers.get('x-message-id') ?? '';
    const reader = await token('opts-reader');
    const read = await waitFor(
      'the message readable',
      async () => {
        const m = await call(s, 'GET', `/api/v2/messages/${mid}`, { token: reader });
        return m.status === 200 ? m : undefined;
      },
      30_000,
      200,
    );
    expect((read.body as { opts?: unknown }).opts).toEqual(opts);
  });

  it('refuses a segment whose attribute test holds a value longer than the directory indexes, naming it', async () => {
    // 20,000 three-byte characters: 60,000 bytes of UTF-8, inside the 64 kB body limit and over
    // Lucene's 32,766-byte term; no attribute value over 256 characters is indexed on either
    // store, so the test is refused by that rule, the same on every stack.
    const long = '€'.repeat(20_000);
    for (const [query, field] of [
      [{ attribute: 'plan', eq: long }, 'query.eq'],
      [{ attribute: 'plan', in: ['pro', long] }, 'query.in[1]'],
      [{ not: { attribute: 'plan', eq: long } }, 'query.not.eq'],
    ] as const) {
      const made = await call(s, 'POST', '/api/v2/segments', { token: admin, body: { name: 'long value', query } });
      expect(made.status, made.text.slice(0, 300)).toBe(400);
      expect(made.body).toMatchObject({
        code: 'InvalidBody',
        msg: `${field}: expected a string of at most 256 characters, a number or a boolean`,
      });
    }
    const fits = await call(s, 'POST', '/api/v2/segments', {
      token: admin,
      body: { name: 'at the bound', query: { attribute: 'plan', eq: '€'.repeat(256) } },
    });
    expect(fits.status, fits.text.slice(0, 300)).toBe(200);
    const { id } = fits.body as { id: string };
    const count = await call(s, 'GET', `/api/v2/segments/${id}/count`, { token: admin });
    expect(count.status, count.text.slice(0, 300)).toBe(200);
    expect(count.body).toMatchObject({ id, count: 0 });
  });
});
