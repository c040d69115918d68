import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKvIdempotencyStore } from '../../adapters/idempotency/jetstream-kv.js';
import { createIdempotency } from '../../api/idempotency.js';
import type { RouteReply } from '../../api/route.js';
import type { IdempotencyStore } from '../../ports/idempotency.js';
import { idempotencyContract } from '../contract/idempotency.contract.js';
import { needs } from '../infra/needs.js';
import { natsClusterTargets, natsSingleTargets } from '../infra/nats-targets.js';

// Idempotency records in a JetStream KV bucket (adapters/idempotency/jetstream-kv.ts), where
// every broker node of a cluster sees them: the shared contract, then what only several nodes
// show: two stores on their own connections (two nodes) racing for one key, the Idempotency-Key
// flow across them (one run, one answer; another node's young reservation is "in progress"),
// and records leaving by the bucket's max age. On a single node (R1) and the 3-node cluster
// (R3), each release the run carries.
const bucketName = (): string => `T_IDEM_${randomBytes(6).toString('hex')}`;

const dropBucket = async (servers: readonly string[], bucket: string): Promise<void> => {
  const nc = await connect({ servers: [...servers] });
  try {
    await (await nc.jetstreamManager()).streams.delete(`KV_${bucket}`);
  } catch {
    /* never created */
  } finally {
    await nc.close();
  }
};

const reply = (mid: string): RouteReply => ({ status: 200, body: { mid }, headers: { 'X-Message-Id': mid } });

const engineTests = (title: string, servers: readonly string[], replicas: number): void => {
  const open = (bucket: string, ttlMs = 60_000): Promise<IdempotencyStore> =>
    openKvIdempotencyStore({ servers, bucket, replicas, ttlMs });

  idempotencyContract(
    title,
    async () => {
      const bucket = bucketName();
      let last = await open(bucket);
      return {
        store: last,
        reopen: async () => {
          last = await open(bucket);
          return last;
        },
        cleanup: async () => {
          await last.close();
          await dropBucket(servers, bucket);
        },
      };
    },
    true,
    { expiresByItself: true },
  );

  describe(`Idempotency across nodes: ${title}`, () => {
    const bucket = bucketName();
    let a: IdempotencyStore;
    let b: IdempotencyStore;
    beforeAll(async () => {
      [a, b] = await Promise.all([open(bucket), open(bucket)]);
    });
    afterAll(async () => {
      await Promise.all([a.close(), b.close()]);
      await dropBucket(servers, bucket);
    });

    it('two nodes racing for one key: one reservation wins, both read it', async () => {
      for (let i = 0; i < 10; i += 1) {
        const scope = `race${i}`;
        const got = await Promise.all([
          a.reserve({ scope, requestHash: 'h', mid: `a${i}`, createdAt: 1, owner: 'node-a/1' }),
          b.reserve({ scope, requestHash: 'h', mid: `b${i}`, createdAt: 1, owner: 'node-b/1' }),
        ]);
        expect(got[0]).toEqual(got[1]);
      }
    });

    it('the flow through two nodes: one run, the first answer on the other; a young reservation there is in progress', async () => {
      const runs: string[] = [];
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let running: () => void = () => undefined;
      const started = new Promise<void>((r) => {
        running = r;
      });
      const slow = async (mid: string) => {
        runs.push(mid);
        running();
        await held;
        return reply(mid);
      };
      const onA = createIdempotency(a, { owner: 'node-a/boot', leaseMs: 35_000 });
      const onB = createIdempotency(b, { owner: 'node-b/boot', leaseMs: 35_000 });
      const args = { uid: 'u', key: 'k1', fingerprint: 'F', now: Date.now() };
      const first = onA.run({ ...args, freshMid: 'm-a', execute: slow });
      // Node A holds the reservation and is running the command (evidence, not time).
      await started;
      // While node A runs it, node B does not run it again: 409 with Retry-After.
      const during = await onB.run({ ...args, freshMid: 'm-b', execute: slow });
      expect(during).toMatchObject({ status: 409, code: 'IdempotencyKeyInProgress', headers: { 'Retry-After': '1' } });
      release();
      expect(await first).toMatchObject({ status: 200, headers: { 'X-Message-Id': 'm-a' } });
      expect(await onB.run({ ...args, freshMid: 'm-b2', execute: slow })).toMatchObject({
        status: 200,
        body: { mid: 'm-a' },
        headers: { 'X-Message-Id': 'm-a', 'Idempotent-Replayed': 'true' },
      });
      expect(runs).toEqual(['m-a']);
    });

    it('a reservation left by a node that died: its restart runs it at once, another node after the lease, with the reserved id', async () => {
      const runs: string[] = [];
      const execute = (mid: string) => {
        runs.push(mid);
        return Promise.resolve(reply(mid));
      };
      const t0 = Date.now();
      // Node A reserves two keys, starts their commands and dies before answering.
      const dead = createIdempotency(a, { owner: 'node-a/boot-1', leaseMs: 35_000 });
      const never = new Promise<RouteReply>(() => undefined);
      const reservedBy = (key: string, freshMid: string): Promise<string> =>
        new Promise((started) => {
          void dead.run({
            uid: 'u',
            key,
            fingerprint: 'F',
            now: t0,
            freshMid,
            execute: (mid) => (started(mid), never),
          });
        });
      expect(await Promise.all([reservedBy('k2', 'm-dead'), reservedBy('k3', 'm-dead3')])).toEqual([
        'm-dead',
        'm-dead3',
      ]);
      const restarted = createIdempotency(a, { owner: 'node-a/boot-2', leaseMs: 35_000 });
      const other = createIdempotency(b, { owner: 'node-b/boot', leaseMs: 35_000 });
      const on = (idem: typeof other, key: string, now: number) =>
        idem.run({ uid: 'u', key, fingerprint: 'F', now, freshMid: 'm-fresh', execute });
      // Within the lease another node leaves it alone; A's next run takes it over at once.
      expect(await on(other, 'k2', t0 + 1_000)).toMatchObject({ status: 409, code: 'IdempotencyKeyInProgress' });
      expect(await on(restarted, 'k2', t0 + 1_000)).toMatchObject({
        status: 200,
        headers: { 'X-Message-Id': 'm-dead' },
      });
      expect(await on(other, 'k2', t0 + 2_000)).toMatchObject({
        status: 200,
        headers: { 'X-Message-Id': 'm-dead', 'Idempotent-Replayed': 'true' },
      });
      // After the lease, another node runs it, with the message id the dead node reserved.
      const k3 = await on(other, 'k3', t0 + 36_000);
      expect(k3).toMatchObject({ status: 200, headers: { 'X-Message-Id': 'm-dead3' } });
      expect(runs).toEqual(['m-dead', 'm-dead3']);
    });
  });

  describe(`Idempotency records expire: ${title}`, () => {
    const bucket = bucketName();
    let store: IdempotencyStore;
    let nc: NatsConnection;
    beforeAll(async () => {
      store = await open(bucket, 1_000);
      nc = await connect({ servers: [...servers] });
    });
    afterAll(async () => {
      await store.close();
      await nc.close();
      await dropBucket(servers, bucket);
    });

    it('a record is gone once the bucket max age has passed since its last write: the key reserves anew', async () => {
      await store.reserve({ scope: 'ttl', requestHash: 'h', mid: 'm1', createdAt: 1 });
      await store.complete('ttl', { status: 200, body: 'true', headers: {} });
      const kv = await nc.jetstream().views.kv(bucket, { bindOnly: true });
      expect((await kv.status()).ttl).toBe(1_000);
      const end = Date.now() + 20_000;
      while ((await kv.get('ttl')) !== null) {
        if (Date.now() > end) throw new Error('the record outlived the bucket max age by 19 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await store.reserve({ scope: 'ttl', requestHash: 'h2', mid: 'm2', createdAt: 2 })).toEqual({
        scope: 'ttl',
        requestHash: 'h2',
        mid: 'm2',
        createdAt: 2,
      });
    });
  });
};

for (const t of natsSingleTargets()) {
  needs(t.urlVar, `nats-server ${t.label}`, (url) => {
    engineTests(`JetStream KV ${t.label} single node (R1)`, [url], 1);
  });
}
for (const t of natsClusterTargets()) {
  needs(t.urlVar, `nats-server ${t.label} cluster`, (urls) => {
    engineTests(`JetStream KV ${t.label} 3-node cluster (R3)`, urls.split(','), 3);
  });
}
