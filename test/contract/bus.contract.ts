import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, TopicKind } from '../../ports/bus.js';

// The one contract every Bus adapter passes (in-process, NATS): what the realtime fan-out
// relies on. `nodes` gives two buses that stand for two broker nodes on one network.
export interface BusHarness {
  readonly a: Bus;
  readonly b: Bus;
  close(): Promise<void>;
}

interface Got {
  key: string;
  payload: string;
}

const collect = (bus: Bus, kind: TopicKind): Got[] & { until(n: number): Promise<void> } => {
  const got: Got[] = [];
  bus.subscribe(kind, (key, payload) => {
    got.push({ key, payload });
  });
  return Object.assign(got, {
    until: async (n: number) => {
      const end = Date.now() + 5000;
      while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    },
  });
};

export const busContract = (name: string, nodes: () => Promise<BusHarness>): void => {
  describe(`Bus contract: ${name}`, () => {
    let h: BusHarness | undefined;
    const open = async (): Promise<BusHarness> => {
      h = await nodes();
      return h;
    };
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it('delivers a publication to the subscriber of its kind on every node, the publisher included', async () => {
      const { a, b } = await open();
      const [ua, ub] = [collect(a, 'user'), collect(b, 'user')];
      await Promise.all([a.flush(), b.flush()]);
      a.publish('user', 'alice', 'hello');
      await a.flush();
      await Promise.all([ua.until(1), ub.until(1)]);
      expect([...ua]).toEqual([{ key: 'alice', payload: 'hello' }]);
      expect([...ub]).toEqual([{ key: 'alice', payload: 'hello' }]);
    });

    it('keeps kinds apart and carries keys with dots, colons and percent signs intact', async () => {
      const { a, b } = await open();
      const [users, threads, everyone, presence] = [
        collect(b, 'user'),
        collect(b, 'thread'),
        collect(b, 'broadcast'),
        collect(b, 'presence'),
      ];
      await b.flush();
      a.publish('thread', 'team.eng:2024%q@x', 't');
      a.publish('user', 'a.b.c', 'u');
      a.publish('broadcast', '', 'all');
      a.publish('presence', 'node-1', 'p');
      await a.flush();
      await Promise.all([users.until(1), threads.until(1), everyone.until(1), presence.until(1)]);
      expect([...threads]).toEqual([{ key: 'team.eng:2024%q@x', payload: 't' }]);
      expect([...users]).toEqual([{ key: 'a.b.c', payload: 'u' }]);
      expect([...everyone]).toEqual([{ key: '', payload: 'all' }]);
      expect([...presence]).toEqual([{ key: 'node-1', payload: 'p' }]);
    });

    it("keeps one publisher's order across subjects and kinds", async () => {
      const { a, b } = await open();
      const order: string[] = [];
      b.subscribe('user', (_k, p) => {
        order.push(p);
      });
      b.subscribe('thread', (_k, p) => {
        order.push(p);
      });
      await b.flush();
      const sent: string[] = [];
      for (let i = 0; i < 500; i += 1) {
        const p = `m${i}`;
        sent.push(p);
        if (i % 3 === 0) a.publish('thread', `t${i % 7}`, p);
        else a.publish('user', `u${i % 11}`, p);
      }
      await a.flush();
      const end = Date.now() + 5000;
      while (order.length < sent.length && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      expect(order).toEqual(sent);
    });

    it('carries large and non-ASCII payloads byte for byte', async () => {
      const { a, b } = await open();
      const got = collect(b, 'user');
      await b.flush();
      const big = `{"msg":"${'ü€😀'.repeat(20_000)}"}\n${'x'.repeat(100_000)}`;
      a.publish('user', 'u', big);
      await a.flush();
      await got.until(1);
      expect(got[0]?.payload).toBe(big);
    });

    it('stops delivering to a closed subscription, and allows one subscription per kind', async () => {
      const { a, b } = await open();
      const got: string[] = [];
      const sub = b.subscribe('thread', (_k, p) => {
        got.push(p);
      });
      expect(() => b.subscribe('thread', () => undefined)).toThrow();
      await b.flush();
      a.publish('thread', 't', 'one');
      await a.flush();
      const end = Date.now() + 5000;
      while (got.length < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      await sub.close();
      const fence = collect(b, 'user');
      await b.flush();
      a.publish('thread', 't', 'two');
      a.publish('user', 'u', 'fence');
      await a.flush();
      await fence.until(1);
      expect(got).toEqual(['one']);
    });
  });
};
