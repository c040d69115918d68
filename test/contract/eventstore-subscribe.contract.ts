// The subscribeAll cases of the EventStore contract: catch-up, live delivery in log order,
// no gap or duplicate across the hand-over, for every adapter.
import { describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../ports/eventstore.js';
import { evs, fence, positions, probeDelivered, subscribe, waitFor } from './eventstore-fixtures.js';

export const eventStoreSubscribeCases = (get: () => EventStore): void => {
  describe('subscribeAll', () => {
    it('catches up from 0, then delivers live appends in order without gaps or duplicates', async () => {
      const store = get();
      await store.append('a', evs(2), 'any');
      await store.append('b', evs(1), 'any');
      const sub = subscribe(store, 0);
      const second = subscribe(store, 0);
      await waitFor(() => sub.events().length === 3, 'catch-up');
      await Promise.all([
        store.append('a', evs(2), 'any'),
        store.append('c', evs(1), 'any'),
        store.append('b', evs(1), 'any'),
      ]);
      await store.append('d', evs(3), 'any');
      await waitFor(() => sub.events().length >= 10 && second.events().length >= 10, 'live events');
      await fence(store, sub, second);
      const all = await store.readAll({ limit: 100 });
      expect(positions(sub.events())).toEqual(positions(all));
      expect(sub.events()).toEqual(all);
      expect(positions(second.events())).toEqual(positions(all));
      expect(sub.batches.every((b) => b.length > 0)).toBe(true);
      expect(sub.errors).toEqual([]);
      await sub.close();
      await second.close();
    });

    it('catches up from a middle position', async () => {
      const store = get();
      await store.append('a', evs(3), 'any');
      await store.append('b', evs(2), 'any');
      const all = await store.readAll({ limit: 100 });
      const middle = all[1]?.position ?? -1;
      const sub = subscribe(store, middle);
      await store.append('c', evs(1), 'any');
      const expected = await store.readAll({ after: middle, limit: 100 });
      await waitFor(() => sub.events().length >= expected.length, 'catch-up from the middle');
      const last = await fence(store, sub);
      expect(positions(sub.events())).toEqual([...positions(expected), last]);
      await sub.close();
    });

    it('waits for the handler before delivering the next batch', async () => {
      const store = get();
      const seen: RecordedEvent[] = [];
      let active = 0;
      let maxActive = 0;
      let calls = 0;
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const sub = store.subscribeAll(0, async (batch) => {
        calls += 1;
        active += 1;
        maxActive = Math.max(maxActive, active);
        seen.push(...batch);
        if (calls === 1) await gate;
        active -= 1;
      });
      await store.append('s', evs(1), 'any');
      await waitFor(() => calls === 1, 'first batch');
      await store.append('s', evs(3), 'any');
      // The store has delivered the three to a subscriber that is free; this one is still held.
      await probeDelivered(store, 0);
      expect(calls).toBe(1);
      release();
      await waitFor(() => seen.length === 4, 'the held-back events');
      expect(maxActive).toBe(1);
      expect(positions(seen)).toEqual(positions(await store.readAll({ limit: 10 })));
      await sub.close();
    });

    it('delivers an append that lands at any moment of a subscription settling (no lost wake-up)', async () => {
      const store = get();
      const ticks = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) await Promise.resolve();
      };
      for (let d = 0; d < 12; d++) {
        const sub = subscribe(store, await store.head());
        await ticks(d);
        await store.append(`race-${String(d)}`, evs(1), 'no_stream');
        await waitFor(() => sub.events().length === 1, `the append made ${String(d)} microtasks in`, 1_000);
        await sub.close();
      }
    });

    it('stops delivering once closed', async () => {
      const store = get();
      const sub = subscribe(store, 0);
      await store.append('s', evs(1), 'any');
      await waitFor(() => sub.events().length === 1, 'first event');
      await sub.close();
      await store.append('s', evs(2), 'any');
      await probeDelivered(store, 0);
      expect(sub.events()).toHaveLength(1);
    });
  });
};
