import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, nodeId, removeDir, startServer, tempDir, token, type Reply, type Server } from './harness.js';
import { isProductionStack, stackEnv } from './stack.js';

// Idempotency-Key across the nodes of a production cluster (issue 9): two broker processes on
// one JetStream log keep their records in the log cluster's KV bucket, so a retry through
// the other node (a load balancer's) gets the first answer and the message exists once;
// also after a restart, and after a kill -9 in the middle of keyed sends. Production stack
// only (vitest.config.ts): the embedded log has a single node.
const mids = (r: Reply): string | null => r.headers.get('x-message-id');

describe('Idempotency-Key across two broker nodes on one JetStream log', () => {
  const shared = tempDir('msgxc-idem-nodes-');
  const dirs = { a: tempDir(), b: tempDir() };
  const env = (node: string): Record<string, string> => ({
    ...stackEnv(shared),
    MSGXC_NODE_ID: nodeId(node),
    MSGXC_LOG_LEVEL: 'warn',
  });
  let a: Server;
  let b: Server;
  let admin: string;
  const send = (s: Server, key: string, uid: string, msg: string) =>
    call(s, 'POST', '/api/v2/send', { token: admin, body: { uid, msg }, headers: { 'idempotency-key': key } });
  const inboxOf = async (s: Server, uid: string): Promise<string[]> => {
    const r = await call(s, 'GET', '/api/v2/inbox', { token: await token(uid) });
    return (r.body as { messages: { mid: string }[] }).messages.map((m) => m.mid);
  };
  const until = async (ok: () => Promise<boolean>, what: string): Promise<void> => {
    const end = Date.now() + 30_000;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    if (!isProductionStack()) throw new Error('idempotency-nodes.e2e runs on the production stack only');
    a = await startServer({ dataDir: dirs.a, env: env('idem-a') });
    b = await startServer({ dataDir: dirs.b, env: env('idem-b') });
    admin = await token('root', ['admin']);
  });
  afterAll(async () => {
    const started = [a as Server | undefined, b as Server | undefined].filter((x): x is Server => x !== undefined);
    await Promise.all(started.map((x) => x.stop()));
    for (const d of [dirs.a, dirs.b, shared]) removeDir(d);
  });

  it('a retry through the other node: the first answer, replayed, and one message; another body is a 422', async () => {
    const first = await send(a, 'welcome-1', 'ivy', 'hello once');
    expect(first.status).toBe(200);
    const again = await send(b, 'welcome-1', 'ivy', 'hello once');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(mids(again)).toBe(mids(first));
    expect(again.body).toEqual(first.body);
    expect((await send(b, 'welcome-1', 'ivy', 'another body')).status).toBe(422);
    await until(async () => (await inboxOf(b, 'ivy')).length > 0, "ivy's inbox on node B");
    expect(await inboxOf(b, 'ivy')).toEqual([mids(first)]);
  });

  it('the same key sent to both nodes at once: one message, and every 2xx names it', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => send(i % 2 === 0 ? a : b, 'at-once', 'jay', 'raced')),
    );
    // The node that did not run it answers the first answer, or 409 while it still runs there.
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    let settled = results.filter((r) => r.status === 200);
    for (let i = 0; settled.length === 0 && i < 100; i += 1) {
      const r = await send(i % 2 === 0 ? a : b, 'at-once', 'jay', 'raced');
      if (r.status === 200) settled = [r];
      else await new Promise((res) => setTimeout(res, Number(r.headers.get('retry-after') ?? '1') * 1000));
    }
    const mid = mids(settled[0] as Reply);
    expect(new Set(results.filter((r) => r.status === 200).map(mids))).toEqual(new Set([mid]));
    for (const r of results.filter((x) => x.status === 409))
      expect(r.body).toMatchObject({ code: 'IdempotencyKeyInProgress' });
    await until(async () => (await inboxOf(a, 'jay')).length > 0, "jay's inbox on node A");
    expect(await inboxOf(a, 'jay')).toEqual([mid]);
  });

  it('after a restart of the node that answered, and a kill -9 during keyed sends: one message per key', async () => {
    const before = await send(a, 'before-restart', 'kai', 'kept');
    await a.stop();
    a = await startServer({ dataDir: dirs.a, env: env('idem-a') });
    expect(mids(await send(a, 'before-restart', 'kai', 'kept'))).toBe(mids(before));

    // Keyed sends in flight on A when it is killed; every key is then retried through B.
    const keys = Array.from({ length: 30 }, (_, i) => `crash-${i}`);
    const onA = keys.map((k) => send(a, k, 'kai', k).catch(() => undefined));
    const answered = await Promise.race([Promise.any(onA), new Promise((r) => setTimeout(r, 10_000))]);
    expect(answered).toBeDefined();
    await a.stop('SIGKILL');
    const firstAnswers = await Promise.all(onA);
    const mine = new Map<string, string>();
    for (const k of keys) {
      // A key A reserved before it died is 409 on B for the lease (35 s), then runs there.
      for (let i = 0; ; i += 1) {
        const r = await send(b, k, 'kai', k);
        if (r.status === 200) {
          mine.set(k, mids(r) ?? '');
          break;
        }
        expect(r.status).toBe(409);
        if (i > 60) throw new Error(`${k}: still in progress on B after a minute`);
        await new Promise((res) => setTimeout(res, 1000));
      }
    }
    // Keys A answered before it died keep A's answer.
    keys.forEach((k, i) => {
      const got = firstAnswers[i];
      if (got?.status === 200) expect(mine.get(k)).toBe(mids(got));
    });
    const expected = [mids(before), ...mine.values()].sort();
    await until(async () => (await inboxOf(b, 'kai')).length >= expected.length, "kai's inbox on node B");
    expect((await inboxOf(b, 'kai')).sort()).toEqual(expected);
  });
});
