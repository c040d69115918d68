import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPLIT_AFTER, createFollower } from '../../follower/follower.js';
import { Unhandleable } from '../../follower/unhandleable.js';
import type { Follower } from '../../follower/follower.js';
import type { EventStore } from '../../ports/eventstore.js';
import type { CheckpointStore, DeadLetter, Followed, FollowerHandler, Pause } from '../../ports/follower.js';
import { ev, meta, put } from '../unit/projections/fixtures.js';

// The log follower's contract (ports/follower.ts), held by every pair of a log engine and a
// checkpoint engine: a CheckpointStore keeps positions and dead letters and never stores the
// result of failed work; a follower hands every event over once in log order (at least once
// after a failure), quarantines what it cannot decode and carries on, retries a failed batch
// without moving its checkpoint past it, passes an event with an effect only once the effect
// succeeded, and resumes from the stored checkpoint.

export interface FollowerEngines {
  /** A fresh, empty log. */
  readonly log: () => Promise<{ readonly store: EventStore; readonly cleanup: () => Promise<void> }>;
  /** Checkpoints on fresh storage; `reopen` gives a second store over the same storage (a restart). */
  readonly checkpoints: () => Promise<{
    readonly store: CheckpointStore;
    readonly reopen: () => Promise<CheckpointStore>;
    readonly cleanup: () => Promise<void>;
  }>;
}

interface Ctx {
  store: EventStore;
  checkpoints: CheckpointStore;
  reopen: () => Promise<CheckpointStore>;
  followers: Follower[];
  cleanups: Array<() => Promise<void>>;
}

const FAST = { firstMs: 10, maxMs: 50 };
const dead = (follower: string, position: number): DeadLetter => ({
  follower,
  position,
  stream: `s-${position}`,
  type: 'DeviceEnlisted',
  reason: `data: broken at ${position}`,
  at: '2025-01-01T00:00:00.000Z',
});

/** Resolves when `f()` holds, checked after each evidence `tick` (no timer decides anything). */
const when = (f: () => boolean, subscribe: (tick: () => void) => void, what: string, ms = 20_000): Promise<void> =>
  new Promise((resolve, reject) => {
    if (f()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    subscribe(() => {
      if (!f()) return;
      clearTimeout(timer);
      resolve();
    });
  });

export const followerContract = (name: string, engines: FollowerEngines): void => {
  const c = {} as Ctx;
  beforeEach(async () => {
    const log = await engines.log();
    const cps = await engines.checkpoints();
    Object.assign(c, {
      store: log.store,
      checkpoints: cps.store,
      reopen: cps.reopen,
      followers: [],
      cleanups: [cps.cleanup, log.cleanup],
    });
  });
  afterEach(async () => {
    for (const f of c.followers) await f.stop();
    for (const clean of c.cleanups) await clean();
  });

  /** A follower on the test's log and checkpoints, started, with its positions and failures observable. */
  const follow = async (handler: FollowerHandler, checkpoints = c.checkpoints, follower = 'under-test') => {
    const ticks: Array<() => void> = [];
    const tick = (): void => {
      for (const t of ticks) t();
    };
    const quarantined: DeadLetter[] = [];
    const failures: unknown[] = [];
    const f = createFollower({
      name: follower,
      store: c.store,
      handler,
      checkpoints,
      now: () => '2025-01-01T00:00:00.000Z',
      from: await checkpoints.read(follower),
      retry: FAST,
      onPosition: tick,
      onDeadLetters: (d) => {
        quarantined.push(...d);
        tick();
      },
      onFailure: (e) => {
        failures.push(e);
        tick();
      },
    });
    c.followers.push(f);
    f.start();
    const until = (what: string, cond: () => boolean) => when(cond, (t) => ticks.push(t), what);
    const reached = (p: number) => until(`position ${p}`, () => f.position() >= p);
    return { f, quarantined, failures, until, reached, tick };
  };
  const recorder = () => {
    const seen: Followed[] = [];
    const handler: FollowerHandler = {
      handle: (events) => {
        seen.push(...events);
        return Promise.resolve();
      },
    };
    return { seen, handler };
  };

  describe(`log follower contract: ${name}`, () => {
    it('a checkpoint store keeps positions and dead letters, in position order, across a reopen', async () => {
      expect(await c.checkpoints.read('a')).toBe(0);
      await c.checkpoints.commit('a', () => ({ position: 7, deadLetters: [dead('a', 5), dead('a', 3)] }));
      await c.checkpoints.commit('b', () => Promise.resolve({ position: 2, deadLetters: [dead('b', 1)] }));
      // The same event quarantined again (a batch retried) is one dead letter.
      await c.checkpoints.commit('a', () => ({ position: 9, deadLetters: [dead('a', 5)] }));
      const again = await c.reopen();
      expect(await again.read('a')).toBe(9);
      expect(await again.read('b')).toBe(2);
      expect(await again.deadLetters('a')).toEqual([dead('a', 3), dead('a', 5)]);
      expect(await again.deadLetters()).toEqual([dead('a', 3), dead('a', 5), dead('b', 1)]);
      await again.write('a', 4);
      expect(await c.checkpoints.read('a')).toBe(4);
    });

    it('work that fails stores neither its position nor its dead letters', async () => {
      await c.checkpoints.commit('a', () => ({ position: 3, deadLetters: [] }));
      await expect(
        c.checkpoints.commit('a', () => {
          throw new Error('the batch failed');
        }),
      ).rejects.toThrow('the batch failed');
      await expect(c.checkpoints.commit('a', () => Promise.reject(new Error('async failure')))).rejects.toThrow();
      expect(await c.checkpoints.read('a')).toBe(3);
      expect(await c.checkpoints.deadLetters('a')).toEqual([]);
    });

    it('hands every event over once, in log order, catching up and then live; the checkpoint follows', async () => {
      const first = await put(c.store, ev.recognized('ann'), ev.recognized('bob'));
      const r = recorder();
      const t = await follow(r.handler);
      await t.reached(first);
      const head = await put(c.store, ev.enlisted('ann', 'd1'), ev.recognized('cid'));
      await t.reached(head);
      expect(r.seen.map((e) => e.event.type)).toEqual([
        'UserRecognized',
        'UserRecognized',
        'DeviceEnlisted',
        'UserRecognized',
      ]);
      expect(r.seen.map((e) => e.position)).toEqual([...r.seen.map((e) => e.position)].sort((a, b) => a - b));
      expect(new Set(r.seen.map((e) => e.position)).size).toBe(4);
      expect(await c.checkpoints.read('under-test')).toBe(head);
    });

    it('quarantines an undecodable event and an unknown type as dead letters, and carries on', async () => {
      const r = recorder();
      const t = await follow(r.handler);
      await put(c.store, ev.recognized('ann'));
      const unknown = await c.store.append('elsewhere-x', [{ type: 'NoSuchEvent', data: {}, metadata: meta() }], 'any');
      const invalid = await c.store.append(
        'user-bad',
        [{ type: 'DeviceEnlisted', data: { uid: 'bad' }, metadata: meta() }],
        'any',
      );
      if (unknown.kind !== 'appended' || invalid.kind !== 'appended') throw new Error('append refused');
      const head = await put(c.store, ev.recognized('bob'));
      await t.reached(head);
      await t.until('two dead letters reported', () => t.quarantined.length >= 2);
      expect(r.seen.map((e) => e.event.type)).toEqual(['UserRecognized', 'UserRecognized']);
      const letters = await c.checkpoints.deadLetters('under-test');
      expect(letters.map((d) => [d.position, d.stream, d.type])).toEqual([
        [unknown.position, 'elsewhere-x', 'NoSuchEvent'],
        [invalid.position, 'user-bad', 'DeviceEnlisted'],
      ]);
      expect(letters[0]?.reason).toMatch(/unknown event type/);
      expect(letters[1]?.reason).toMatch(/device/);
      expect(t.quarantined).toEqual(letters);
      expect(t.f.skipped()).toEqual({ unknown: 1, invalid: 1 });
      expect(await c.checkpoints.read('under-test')).toBe(head);
    });

    it('an event its handler refuses for good is quarantined with the reason; the others are applied, once', async () => {
      const r = recorder();
      const handler: FollowerHandler = {
        handle: (events) => {
          const poison = events.find((e) => e.event.type === 'DeviceEnlisted' && e.event.data.deviceId === 'poison');
          if (poison !== undefined) throw new Unhandleable(`device ${poison.event.type} cannot be projected`);
          return r.handler.handle(events);
        },
      };
      const before = await put(c.store, ev.recognized('ann'));
      const bad = await put(c.store, ev.enlisted('ann', 'poison'));
      const after = await put(c.store, ev.recognized('bob'));
      const t = await follow(handler);
      await t.reached(after);
      await t.until('the dead letter reported', () => t.quarantined.length >= 1);
      expect(r.seen.map((e) => e.position)).toEqual([before, after]);
      const letters = await c.checkpoints.deadLetters('under-test');
      expect(letters.map((d) => [d.position, d.type, d.reason])).toEqual([
        [bad, 'DeviceEnlisted', 'handler: device DeviceEnlisted cannot be projected'],
      ]);
      expect(t.quarantined).toEqual(letters);
      expect(t.failures).toEqual([]);
      expect(await c.checkpoints.read('under-test')).toBe(after);
    });

    it("a node's presence check-in (a schema type outside DomainEvent) only moves the checkpoint; a malformed one is quarantined", async () => {
      const r = recorder();
      const t = await follow(r.handler);
      const checkIn = (users: unknown) => ({
        type: 'UsersCheckedIn',
        data: { node: 'n1', from: '2025-01-01T00:00:00.000Z', to: '2025-01-01T00:00:10.000Z', users },
        metadata: meta(),
      });
      const good = await c.store.append('presence-n1', [checkIn([])], 'any');
      const bad = await c.store.append('presence-n1', [checkIn('not a list')], 'any');
      if (good.kind !== 'appended' || bad.kind !== 'appended') throw new Error('append refused');
      const head = await put(c.store, ev.recognized('ann'));
      await t.reached(head);
      await t.until('the dead letter reported', () => t.quarantined.length >= 1);
      expect(r.seen.map((e) => e.event.type)).toEqual(['UserRecognized']);
      const letters = await c.checkpoints.deadLetters('under-test');
      expect(letters.map((d) => [d.position, d.type])).toEqual([[bad.position, 'UsersCheckedIn']]);
      expect(letters[0]?.reason).toMatch(/^data: /);
      expect(t.f.skipped()).toEqual({ unknown: 0, invalid: 1 });
    });

    it('a failed batch is retried and its checkpoint does not pass it meanwhile; nothing is lost', async () => {
      const r = recorder();
      let failing = true;
      const handler: FollowerHandler = {
        handle: (events) => (failing ? Promise.reject(new Error('the engine is down')) : r.handler.handle(events)),
      };
      const before = await put(c.store, ev.recognized('ann'));
      const t = await follow(handler);
      await t.until('three failures', () => t.failures.length >= 3);
      expect(await c.checkpoints.read('under-test')).toBe(0);
      expect(t.f.health()).toMatchObject({ lastError: 'the engine is down' });
      failing = false;
      const head = await put(c.store, ev.recognized('bob'));
      await t.reached(head);
      expect(r.seen.map((e) => e.position)).toEqual([before, head]);
      expect(await c.checkpoints.read('under-test')).toBe(head);
    });

    it('a batch that keeps failing is applied in halves: a failure that comes from its size passes, nothing lost or repeated', async () => {
      const r = recorder();
      // Refuses any batch of more than one event, as an engine refuses a request too large.
      const handler: FollowerHandler = {
        handle: (events) =>
          events.length > 1 ? Promise.reject(new Error('request too large')) : r.handler.handle(events),
      };
      const positions: number[] = [];
      for (const uid of ['ann', 'bob', 'cy', 'di', 'ed', 'flo']) positions.push(await put(c.store, ev.recognized(uid)));
      const t = await follow(handler);
      await t.reached(positions[5] ?? 0);
      expect(r.seen.map((e) => e.position)).toEqual(positions);
      expect(t.failures.length).toBeGreaterThanOrEqual(SPLIT_AFTER);
      expect(await c.checkpoints.read('under-test')).toBe(positions[5]);
      expect(t.f.health().stalled).toBeNull();
    });

    it('one event that keeps failing: the batch is applied up to it, and health says where and since when', async () => {
      const r = recorder();
      let poisoned = true;
      const positions: number[] = [];
      const handler: FollowerHandler = {
        handle: (events) =>
          poisoned && events.some((e) => e.position === positions[2])
            ? Promise.reject(new Error('the engine refuses this one'))
            : r.handler.handle(events),
      };
      for (const uid of ['ann', 'bob', 'cy', 'di']) positions.push(await put(c.store, ev.recognized(uid)));
      const t = await follow(handler);
      await t.until('the poisoned event alone, failing again', () => {
        const s = t.f.health().stalled;
        return s !== null && s !== undefined && s.position === positions[1] && s.attempts >= 2;
      });
      expect(await c.checkpoints.read('under-test')).toBe(positions[1]);
      expect(r.seen.map((e) => e.position)).toEqual(positions.slice(0, 2));
      expect(t.f.health().stalled?.since).toBe('2025-01-01T00:00:00.000Z');
      poisoned = false;
      await t.reached(positions[3] ?? 0);
      expect(r.seen.map((e) => e.position)).toEqual(positions);
      expect(t.f.health().stalled).toBeNull();
    });

    it('an event with an effect is passed only once its effect succeeded; a failed effect handles it again', async () => {
      const handled: number[] = [];
      let effects = 0;
      let release: () => void = () => undefined;
      let poke: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const handler: FollowerHandler = {
        handle: (events): Pause | undefined => {
          const i = events.findIndex((e) => e.event.type === 'DeviceEnlisted');
          handled.push(...events.slice(0, i < 0 ? events.length : i + 1).map((e) => e.position));
          if (i < 0) return undefined;
          return {
            at: i,
            effect: async () => {
              effects += 1;
              poke();
              if (effects === 1) throw new Error('the provider failed');
              await gate;
            },
          };
        },
      };
      const [a, d, b] = [ev.recognized('ann'), ev.enlisted('ann', 'd1'), ev.recognized('bob')];
      const pa = await put(c.store, a);
      const pd = await put(c.store, d);
      const pb = await put(c.store, b);
      const t = await follow(handler);
      poke = t.tick;
      try {
        await t.until('the second try of the effect', () => effects >= 2);
        // The effect is in flight: the checkpoint stops right before its event.
        expect(await c.checkpoints.read('under-test')).toBe(pd - 1);
      } finally {
        release();
      }
      await t.reached(pb);
      expect(handled.filter((p) => p === pd).length).toBeGreaterThanOrEqual(2);
      expect(handled).toContain(pa);
      expect(handled.at(-1)).toBe(pb);
      expect(await c.checkpoints.read('under-test')).toBe(pb);
    });

    it('an effect covering several events: the checkpoint waits before the first, then passes the last with the dead letters between; the rest comes in a new call', async () => {
      const calls: number[][] = [];
      let release: () => void = () => undefined;
      let started = false;
      let poke: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const handler: FollowerHandler = {
        handle: (events): Pause | undefined => {
          calls.push(events.map((e) => e.position));
          const due = events.flatMap((e, i) => (e.event.type === 'DeviceEnlisted' ? [i] : []));
          const [first, last] = [due[0], due.at(-1)];
          if (first === undefined || last === undefined) return undefined;
          return {
            at: first,
            through: last,
            effect: async () => {
              started = true;
              poke();
              await gate;
            },
          };
        },
      };
      const pa = await put(c.store, ev.recognized('ann'));
      const pd1 = await put(c.store, ev.enlisted('ann', 'd1'));
      const bad = await c.store.append('user-bad', [{ type: 'NoSuchEvent', data: {}, metadata: meta() }], 'any');
      if (bad.kind !== 'appended') throw new Error('append refused');
      const pd2 = await put(c.store, ev.enlisted('ann', 'd2'));
      const pb = await put(c.store, ev.recognized('bob'));
      const t = await follow(handler);
      poke = t.tick;
      try {
        await t.until('the effect running', () => started);
        expect(await c.checkpoints.read('under-test')).toBe(pd1 - 1);
        expect(await c.checkpoints.deadLetters('under-test')).toEqual([]);
      } finally {
        release();
      }
      await t.reached(pb);
      expect(calls).toEqual([[pa, pd1, pd2, pb], [pb]]);
      expect((await c.checkpoints.deadLetters('under-test')).map((d) => d.position)).toEqual([bad.position]);
      expect(await c.checkpoints.read('under-test')).toBe(pb);
    });

    it('only the types a handler asks for are handed over; the others still move the checkpoint', async () => {
      const r = recorder();
      const t = await follow({ types: new Set(['DeviceEnlisted']), handle: (events) => r.handler.handle(events) });
      const head = await put(c.store, ev.recognized('ann'), ev.enlisted('ann', 'd1'), ev.recognized('bob'));
      await t.reached(head);
      expect(r.seen.map((e) => e.event.type)).toEqual(['DeviceEnlisted']);
      expect(await c.checkpoints.read('under-test')).toBe(head);
    });

    it('a follower started again resumes after the stored checkpoint', async () => {
      const r = recorder();
      const t = await follow(r.handler);
      const first = await put(c.store, ev.recognized('ann'), ev.recognized('bob'));
      await t.reached(first);
      await t.f.stop();
      const later = await put(c.store, ev.recognized('cid'));
      const again = recorder();
      const t2 = await follow(again.handler, await c.reopen());
      await t2.reached(later);
      expect(again.seen.map((e) => e.position)).toEqual([later]);
    });
  });
};
