import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { midOf, segmentCounting } from './segment-helpers.js';
import { waitFor } from './standin-env.js';

// Issue 13, audiences over 10,000 users: 25,000 users imported over POST /api/v2/users/import,
// a segment selecting 13,000 of them (checked against an independent filter of the imported
// lines), and a multicast by that segment: the audience is stored in parts of at most 2,000
// uids (AudienceChunk in audience-<mid>, all before the MessagePublished of kind `chunked`),
// triage plans exactly the selected users (read from the parts), their inboxes show it, the
// others' do not, and a member may delete it from their inbox (membership searched in the
// parts). Runs on both projects (the production one: JetStream, Cassandra, Elasticsearch).
const N = 25_000;
const CHUNK = 2_000;
const pad = (i: number): string => `big-${String(i).padStart(5, '0')}`;
interface Line {
  uid: string;
  email?: string;
  tags: string[];
  attributes: { region: string };
}
const line = (i: number): Line => ({
  uid: pad(i),
  ...(i % 2 === 0 ? { email: `b${String(i)}@example.org` } : {}),
  tags: i % 25 < 16 ? ['wide'] : ['narrow'],
  attributes: { region: ['eu', 'us', 'ap', 'sa', 'af'][i % 5] ?? 'eu' },
});
const lines = Array.from({ length: N }, (_, i) => line(i));

// The segment, and the same selection written independently over the imported lines.
const segmentQuery = { all: [{ tag: 'wide' }, { not: { attribute: 'region', eq: 'af' } }] };
const selected = lines
  .filter((l) => l.tags.includes('wide') && l.attributes.region !== 'af')
  .map((l) => l.uid)
  .sort();

type Logged = { type: string; data: Record<string, unknown> };
const streamOf = async (s: Server, admin: string, stream: string): Promise<Logged[]> => {
  const r = await call(s, 'GET', `/api/v2/streams/${stream}?limit=1000`, { token: admin });
  expect(r.status, r.text).toBe(200);
  return (r.body as { events: Logged[] }).events;
};

const inboxHas = async (s: Server, uid: string, mid: string): Promise<boolean> => {
  const r = await call(s, 'GET', '/api/v2/inbox?limit=5', { token: await token(uid) });
  expect(r.status, r.text).toBe(200);
  return (r.body as { messages: { mid: string }[] }).messages.some((m) => m.mid === mid);
};

/** Runs `f` over `items`, `width` at a time. */
const eachLimited = async <T>(items: readonly T[], width: number, f: (x: T) => Promise<void>): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await f(items[next++] as T);
    }),
  );
};

describe('multicast by segment to 13,000 of 25,000 imported users', () => {
  const dataDir = tempDir();
  let s: Server;
  let stop: (() => Promise<unknown>) | undefined;
  let admin: string;
  let segment = '';

  beforeAll(async () => {
    // As in segment-multicast.e2e: importing and indexing on 2 shared cores may lag the loop.
    // The body limit is raised so that an explicit list of 10,001 uids meets the uids bound.
    s = await startServer({
      dataDir,
      env: { MSGXC_LOG_LEVEL: 'warn', MSGXC_SHED_LAG_MS: '10000', MSGXC_BODY_LIMIT: String(1024 * 1024) },
    });
    stop = () => s.stop();
    admin = await token('root', ['admin']);
    // Two parts under one import id, as `msgxc import` sends a large file.
    const id = 'big-audience';
    for (const [from, to] of [
      [0, 12_500],
      [12_500, N],
    ] as const) {
      const body = `${lines
        .slice(from, to)
        .map((l) => JSON.stringify(l))
        .join('\n')}\n`;
      const r = await call(s, 'POST', `/api/v2/users/import?id=${id}&firstLine=${String(from + 1)}`, {
        token: admin,
        raw: body,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      expect(r.status, r.text).toBe(200);
      expect(r.body).toMatchObject({ errors: 0 });
    }
    segment = await segmentCounting(s, admin, { name: 'wide', query: segmentQuery }, selected.length, {
      timeoutMs: 180_000,
      everyMs: 500,
    });
  }, 400_000);
  afterAll(async () => {
    await stop?.();
    removeDir(dataDir);
  });

  it('stores the audience in parts, plans exactly the selected users, and shows it in exactly their inboxes', async () => {
    expect(selected.length).toBe(13_000);
    const mid = midOf(
      await call(s, 'POST', '/api/v2/multicast', {
        token: admin,
        body: { segment, msg: 'to the wide segment' },
        headers: { 'idempotency-key': 'big-audience-1' },
      }),
    );
    // The resolution and the message (appended after every part).
    const events = await streamOf(s, admin, `message-${mid}`);
    expect(events.map((e) => e.type)).toEqual(['AudienceResolved', 'MessagePublished']);
    expect(events[0]?.data).toMatchObject({ count: selected.length, source: { segment, name: 'wide' } });
    const chunks = Math.ceil(selected.length / CHUNK);
    expect(events[1]?.data['audience']).toEqual({ kind: 'chunked', count: selected.length, chunks });
    // The parts: each at most 2,000 uids, in order; together exactly the independent filter.
    const parts = await streamOf(s, admin, `audience-${mid}`);
    expect(parts.map((p) => [p.type, p.data['part']])).toEqual(
      Array.from({ length: chunks }, (_, i) => ['AudienceChunk', i]),
    );
    const sizes = parts.map((p) => (p.data['uids'] as string[]).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(CHUNK);
    expect(parts.flatMap((p) => p.data['uids'] as string[])).toEqual(selected);

    // Delivery: triage plans exactly the selected users, read from the parts.
    const explain = await waitFor(
      'triage to plan every recipient',
      async () => {
        const r = await call(s, 'GET', `/api/v2/messages/${mid}/deliveries?limit=1`, { token: admin });
        const b = r.body as { recipientsPlanned: number; audience: unknown };
        return b.recipientsPlanned === selected.length ? b : undefined;
      },
      240_000,
      500,
    );
    expect(explain.audience).toMatchObject({ segment, count: selected.length });
    const triaged = new Set<string>();
    for (let from = 0; ; ) {
      const r = await call(s, 'GET', `/api/v2/streams/triage-${mid}?limit=100&from=${String(from)}`, { token: admin });
      expect(r.status, r.text).toBe(200);
      const b = r.body as { events: { type: string; data: { recipients?: { uid: string }[] } }[]; next: number | null };
      for (const e of b.events)
        if (e.type === 'MessageTriaged') for (const x of e.data.recipients ?? []) triaged.add(x.uid);
      if (b.next === null) break;
      from = b.next;
    }
    expect([...triaged].sort()).toEqual(selected);

    // The inbox read model: every 20th selected user (and the first and last) shows it, every
    // 20th other user does not (waiting on the projection for the first, then all projected).
    const chosen = new Set(selected);
    const sampleIn = selected.filter((_, i) => i % 20 === 0 || i === selected.length - 1);
    await eachLimited(sampleIn, 8, async (uid) => {
      await waitFor(
        `${uid}'s inbox to show ${mid}`,
        async () => ((await inboxHas(s, uid, mid)) ? true : undefined),
        120_000,
        200,
      );
    });
    const sampleOut = lines.map((l) => l.uid).filter((u, i) => !chosen.has(u) && i % 20 === 3);
    expect(sampleOut.length).toBeGreaterThan(400);
    const others: string[] = [];
    await eachLimited(sampleOut, 8, async (uid) => {
      if (await inboxHas(s, uid, mid)) others.push(uid);
    });
    expect(others).toEqual([]);

    // A member deletes it from their inbox (found in the parts); a non-member is told it does not exist.
    const member = selected[selected.length - 1] ?? '';
    const del = await call(s, 'DELETE', `/api/v2/messages/${mid}`, { token: await token(member) });
    expect([del.status, del.body]).toEqual([200, { effect: 'deleted_from_inbox' }]);
    const outsider = await call(s, 'DELETE', `/api/v2/messages/${mid}`, { token: await token(sampleOut[0] ?? '') });
    expect(outsider.status).toBe(404);
  }, 600_000);

  it('keeps the 10,000 bound on an explicit uid list, naming the field', async () => {
    const uids = lines.slice(0, 10_001).map((l) => l.uid);
    const r = await call(s, 'POST', '/api/v2/multicast', { token: admin, body: { uids, msg: 'too many' } });
    expect(r.status).toBe(400);
    expect(r.text).toContain('uids');
  });
});
