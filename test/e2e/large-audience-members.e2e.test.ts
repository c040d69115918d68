import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { openLive, type Frame, type TestSocket } from './realtime-socket.js';
import { midOf, segmentCounting } from './segment-helpers.js';
import { waitFor } from './standin-env.js';

// Issue 13, the members of an audience over 10,000 users (a chunked one: AudienceChunk parts in
// audience-<mid>) on a real server process, on whichever stack the project runs:
// 1. realtime: online members of the segment get the message live exactly once, part by part;
//    online non-members get nothing (a direct message sent after it arrives first and alone);
// 2. GDPR erasure of a member: their inbox, their membership (the rows the inbox reads it
//    from, on SQLite and Cassandra), the user directory and their online time (analytics) forget
//    them, before and after a rebuild; the other members keep the message and their figures.
// Delivery's reactors are off: realtime and the read models do not need them, and triage of
// 10,020 recipients would take minutes on 2 shared cores (large-audience.e2e covers it).
const N = 10_050;
const IN = 10_020; // members: over the 10,000 of an explicit list, so the audience is chunked
const CHUNK = 2_000;
const uidOf = (i: number): string => `lam-${String(i).padStart(5, '0')}`;
// Online members: the first and last of the audience, and one inside each of two other parts.
const ONLINE_IN = [0, 2_500, 7_777, IN - 1].map(uidOf);
// Online non-members: two users of the other tag, and one the broker never imported.
const ONLINE_OUT = [IN, N - 1].map(uidOf).concat('lam-stranger');
const ERASED = uidOf(2_500);

type Page = { messages: { mid: string; msg: string }[] };
interface Stats {
  head: number;
  projections: { position: number }[];
  rebuild: { running: boolean; finishedAt?: string };
}

describe('an audience of 10,020 of 10,050 users: live to its online members, and an erased member', () => {
  const dataDir = tempDir();
  let s: Server;
  let stop: (() => Promise<unknown>) | undefined;
  let admin: string;
  let segment = '';
  let mid = '';
  const sockets = new Map<string, TestSocket>();

  const stats = async (): Promise<Stats> =>
    (await call(s, 'GET', '/api/v2/admin/stats', { token: admin })).body as Stats;
  const caughtUp = (position: number): Promise<true> =>
    waitFor(
      `projections to reach ${String(position)}`,
      async () => ((await stats()).projections.every((p) => p.position >= position) ? true : undefined),
      60_000,
      100,
    );
  // Elasticsearch shows a write after its refresh, not when the checkpoint moves: checks that
  // read the search store are retried until they pass, and the last failure is the answer.
  const eventually = async (check: () => Promise<void>, ms = 30_000): Promise<void> => {
    for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 200))) {
      try {
        await check();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  };
  const inbox = async (uid: string): Promise<Page> => {
    const r = await call(s, 'GET', '/api/v2/inbox?limit=20', { token: await token(uid) });
    expect(r.status, r.text).toBe(200);
    return r.body as Page;
  };
  // Analytics' per-user figure: the online time websocket check-ins recorded for `uid`.
  const since = new Date(Date.now() - 60_000).toISOString();
  const until = new Date(Date.now() + 30 * 60_000).toISOString();
  const onlineSeconds = async (uid: string): Promise<number> => {
    const q = `interval=minute&since=${since}&until=${until}&uid=${uid}`;
    const r = await call(s, 'GET', `/api/v2/analytics/online?${q}`, { token: await token('ann', ['analyst']) });
    expect(r.status, r.text).toBe(200);
    return (r.body as { onlineSeconds: number }).onlineSeconds;
  };
  const inboxHas = async (uid: string, m: string): Promise<boolean> =>
    (await inbox(uid)).messages.some((x) => x.mid === m);

  beforeAll(async () => {
    s = await startServer({
      dataDir,
      env: {
        MSGXC_LOG_LEVEL: 'warn',
        MSGXC_SHED_LAG_MS: '10000',
        MSGXC_REACTORS: 'false',
        MSGXC_CHECKIN_INTERVAL_MS: '300',
      },
    });
    stop = () => s.stop();
    admin = await token('root', ['admin']);
    const body = `${Array.from({ length: N }, (_, i) =>
      JSON.stringify({ uid: uidOf(i), tags: [i < IN ? 'lam-in' : 'lam-out'] }),
    ).join('\n')}\n`;
    const r = await call(s, 'POST', '/api/v2/users/import?id=lam', {
      token: admin,
      raw: body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ errors: 0 });
    segment = await segmentCounting(s, admin, { name: 'lam', query: { tag: 'lam-in' } }, IN, {
      timeoutMs: 180_000,
      everyMs: 500,
    });
    for (const uid of [...ONLINE_IN, ...ONLINE_OUT]) sockets.set(uid, await openLive(s, await token(uid)));
  }, 400_000);
  afterAll(async () => {
    await Promise.all([...sockets.values()].map((x) => x.close()));
    await stop?.();
    removeDir(dataDir);
  });

  it('pushes the chunked multicast live to each online member exactly once, and to no one else', async () => {
    mid = midOf(
      await call(s, 'POST', '/api/v2/multicast', {
        token: admin,
        body: { segment, msg: 'live to the members' },
        headers: { 'idempotency-key': 'lam-live-1' },
      }),
    );
    const published = (await call(s, 'GET', `/api/v2/streams/message-${mid}`, { token: admin })).body as {
      events: { type: string; data: { audience?: unknown } }[];
    };
    const chunks = Math.ceil(IN / CHUNK);
    expect(published.events.at(-1)?.data.audience).toEqual({ kind: 'chunked', count: IN, chunks });
    const isIt = (f: Frame): boolean => f.type === 'message' && f.mid === mid;
    for (const uid of ONLINE_IN) {
      const f = await (sockets.get(uid) as TestSocket).next(isIt, 60_000);
      expect(f).toMatchObject({ mid, msg: 'live to the members' });
    }
    // A direct message to each online user, appended after the multicast: the realtime follower
    // pushes in log order and finishes every part of the multicast before the next event, so
    // when it arrives everything the multicast would push to that user has been pushed.
    const marks = new Map<string, string>();
    for (const uid of [...ONLINE_IN, ...ONLINE_OUT]) {
      const r = await call(s, 'POST', '/api/v2/send', { token: admin, body: { uid, msg: `mark ${uid}` } });
      marks.set(uid, midOf(r));
    }
    for (const [uid, mark] of marks) {
      const socket = sockets.get(uid) as TestSocket;
      await socket.next((f) => f.type === 'message' && f.mid === mark, 30_000);
      const copies = socket.frames.filter(isIt).length;
      expect([uid, copies]).toEqual([uid, ONLINE_IN.includes(uid) ? 1 : 0]);
    }
  }, 120_000);

  it('erases a member: their inbox and membership are gone, before and after a rebuild; the others keep it', async () => {
    expect(mid).not.toBe('');
    await waitFor(
      'the erased member to see it first',
      async () => ((await inboxHas(ERASED, mid)) ? true : undefined),
      60_000,
      200,
    );
    // Their session ends, and the online time of both them and a member who stays online is
    // indexed; then a check-in after the close (the other member's time grows) makes theirs final.
    const stays = uidOf(0);
    await waitFor(
      'online time of both',
      async () => ((await onlineSeconds(ERASED)) > 0 && (await onlineSeconds(stays)) > 0 ? true : undefined),
      60_000,
      200,
    );
    await sockets.get(ERASED)?.close();
    sockets.delete(ERASED);
    const before = await onlineSeconds(stays);
    await waitFor(
      'a check-in after the close',
      async () => ((await onlineSeconds(stays)) > before ? true : undefined),
      60_000,
      200,
    );
    const erased = await call(s, 'POST', `/api/v2/users/${ERASED}/erase`, { token: admin });
    expect(erased.status, erased.text).toBe(200);
    const position = (erased.body as { position: number }).position;
    await caughtUp(position);
    const neighbours = [uidOf(0), uidOf(2_499), uidOf(2_501), uidOf(IN - 1)];
    const check = async (): Promise<void> => {
      // Their inbox and export no longer list it, and they are no longer a recipient.
      expect(await inboxHas(ERASED, mid)).toBe(false);
      const read = await call(s, 'GET', `/api/v2/messages/${mid}`, { token: await token(ERASED) });
      expect(read.status).toBe(404);
      const exported = await call(s, 'GET', `/api/v2/users/${ERASED}/export`, { token: admin });
      expect(exported.status, exported.text).toBe(200);
      expect(JSON.stringify((exported.body as { inbox: unknown }).inbox)).not.toContain(mid);
      expect(JSON.stringify(exported.body)).not.toContain('lam-in');
      // Analytics: their online time is gone, the other member's is not.
      expect(await onlineSeconds(ERASED)).toBe(0);
      expect(await onlineSeconds(stays)).toBeGreaterThan(0);
      // The user directory (segments, analytics' user documents) forgot them.
      const count = await call(s, 'GET', `/api/v2/segments/${segment}/count`, { token: admin });
      expect((count.body as { count: number }).count).toBe(IN - 1);
      // The other members, in the same part and others, are untouched.
      for (const uid of neighbours) {
        expect([uid, await inboxHas(uid, mid)]).toEqual([uid, true]);
        const r = await call(s, 'GET', `/api/v2/messages/${mid}`, { token: await token(uid) });
        expect([uid, r.status]).toEqual([uid, 200]);
      }
    };
    await eventually(check);
    // Analytics sees the message's audience as its count: no member is listed there.
    const search = await call(s, 'GET', `/api/v2/analytics/messages?text=members`, {
      token: await token('ann', ['analyst']),
    });
    expect(search.status, search.text).toBe(200);
    expect(JSON.stringify(search.body)).not.toContain(ERASED);

    // A rebuild replays the parts and then the erasure: the same answers.
    const finished = (await stats()).rebuild.finishedAt;
    expect((await call(s, 'POST', '/api/v2/admin/rebuild', { token: admin })).status).toBe(202);
    await waitFor(
      'the rebuild to finish',
      async () => {
        const st = await stats();
        return !st.rebuild.running && st.rebuild.finishedAt !== undefined && st.rebuild.finishedAt !== finished
          ? true
          : undefined;
      },
      180_000,
      250,
    );
    await caughtUp((await stats()).head);
    await eventually(check);
  }, 400_000);
});
