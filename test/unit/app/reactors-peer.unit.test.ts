import { describe, expect, it } from 'vitest';
import { triagePeerOf, triagePositionBuffer, triagePositionWriter } from '../../../app/reactors-thread/peer.js';

// MSGXC_REACTORS_THREAD=split: the triage thread's position as the dispatch thread waits on it
// (app/reactors-thread/peer.ts). Both ends here on one thread; the e2e delivery-outbox suite runs
// them on two.
const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([
    p.then(() => true),
    new Promise<boolean>((r) => {
      setTimeout(() => {
        r(false);
      }, ms);
    }),
  ]);

describe('the triage position shared between delivery threads', () => {
  it('is read as written, and a wait ends when triage reaches the position, not before', async () => {
    const buffer = triagePositionBuffer();
    const writer = triagePositionWriter(buffer);
    const peer = triagePeerOf(buffer);
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
  });

  it('never moves back (a restarted triage resumes from its checkpoint, behind what it had applied)', () => {
    const buffer = triagePositionBuffer();
    const writer = triagePositionWriter(buffer);
    writer.moved(100);
    writer.moved(40);
    expect(triagePeerOf(buffer).position()).toBe(100);
  });

  it('releases the waiters when triage stops, and when the waiting side closes', async () => {
    const buffer = triagePositionBuffer();
    const writer = triagePositionWriter(buffer);
    const peer = triagePeerOf(buffer);
    const waiting = peer.caughtUp(10);
    expect(await settledWithin(waiting, 50)).toBe(false);
    writer.stopped();
    await expect(settledWithin(waiting, 100)).resolves.toBe(true);

    const other = triagePeerOf(triagePositionBuffer());
    const parked = other.caughtUp(10);
    other.close();
    await expect(settledWithin(parked, 2000)).resolves.toBe(true);
  });
});
