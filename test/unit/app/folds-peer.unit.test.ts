import { describe, expect, it } from 'vitest';
import { foldsBuffer, foldsPeerOf, foldsWriter } from '../../../app/reactors-thread/folds-peer.js';

// MSGXC_REACTORS_THREAD=split: what the folds' thread tells the sends' thread through shared
// memory (app/reactors-thread/folds-peer.ts). Both ends here on one thread; the e2e
// delivery-outbox suite runs them on two.
const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([
    p.then(() => true),
    new Promise<boolean>((r) => {
      setTimeout(() => {
        r(false);
      }, ms);
    }),
  ]);
const tick = (ms = 20): Promise<void> =>
  new Promise((r) => {
    setTimeout(r, ms);
  });

describe("the folds' position and wakes shared between delivery threads", () => {
  it('the position is read as written, and a wait ends when the folds reach it, not before', async () => {
    const buffer = foldsBuffer();
    const writer = foldsWriter(buffer);
    const peer = foldsPeerOf(buffer, () => undefined);
    expect(peer.position()).toBe(0);
    writer.moved(5);
    expect(peer.position()).toBe(5);
    await expect(settledWithin(peer.caughtUp(5), 100)).resolves.toBe(true);
    const later = peer.caughtUp(2 ** 40);
    writer.moved(2 ** 40 - 1);
    expect(await settledWithin(later, 50)).toBe(false);
    writer.moved(2 ** 40);
    await expect(settledWithin(later, 100)).resolves.toBe(true);
    expect(peer.position()).toBe(2 ** 40);
    peer.close();
  });

  it('never moves back (a restarted folds thread resumes from its checkpoints, behind what it had applied)', () => {
    const buffer = foldsBuffer();
    const writer = foldsWriter(buffer);
    writer.moved(100);
    writer.moved(40);
    const peer = foldsPeerOf(buffer, () => undefined);
    expect(peer.position()).toBe(100);
    peer.close();
  });

  it('releases the waiters when the folds stop, and when the waiting side closes', async () => {
    const buffer = foldsBuffer();
    const writer = foldsWriter(buffer);
    const peer = foldsPeerOf(buffer, () => undefined);
    const waiting = peer.caughtUp(10);
    expect(await settledWithin(waiting, 50)).toBe(false);
    writer.stopped();
    await expect(settledWithin(waiting, 100)).resolves.toBe(true);
    peer.close();

    const other = foldsPeerOf(foldsBuffer(), () => undefined);
    const parked = other.caughtUp(10);
    other.close();
    await expect(settledWithin(parked, 2000)).resolves.toBe(true);
  });

  it('passes each wake on, with the earliest due time reported since the last one taken', async () => {
    const buffer = foldsBuffer();
    const writer = foldsWriter(buffer);
    const woken: (number | undefined)[] = [];
    const peer = foldsPeerOf(buffer, (earliest) => {
      woken.push(earliest);
    });
    writer.wake();
    await tick();
    expect(woken).toEqual([undefined]);
    // Three batches before the sends' thread looks: one wake, for the earliest of their timers.
    writer.wake(1_800_000_000_500);
    writer.wake(1_800_000_000_100);
    writer.wake(1_800_000_000_900);
    await tick();
    expect(woken).toEqual([undefined, 1_800_000_000_100]);
    // Taken: the next wake without a timer reports none.
    writer.wake();
    await tick();
    expect(woken).toEqual([undefined, 1_800_000_000_100, undefined]);
    peer.close();
    await tick(600);
    writer.wake(5);
    await tick();
    expect(woken).toHaveLength(3);
  });
});
