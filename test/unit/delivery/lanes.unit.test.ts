import { describe, expect, it } from 'vitest';
import { createLanes } from '../../../delivery/lanes.js';
import type { DispatchChannel } from '../../../schema/triage-events.js';

// Dispatch's lanes (delivery/lanes.ts): per channel at most `limit` jobs at once, first come
// first served; a job that never ends holds one slot of its own channel only.
const LIMITS: Record<DispatchChannel, number> = { webpush: 2, fcm: 1, apns: 1, email: 1, sms: 1, mqtt: 1 };

/** A job that runs until the test ends it. */
const gate = () => {
  let open = (): void => undefined;
  let started = false;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    job: () => {
      started = true;
      return done;
    },
    started: () => started,
    end: () => {
      open();
    },
  };
};

describe('lanes', () => {
  it("run up to the channel's limit at once and queue the rest; other channels are not held up", async () => {
    const errors: unknown[] = [];
    const lanes = createLanes(LIMITS, (_c, e) => errors.push(e));
    const hung = gate();
    const second = gate();
    const third = gate();
    const email = gate();
    lanes.run('webpush', hung.job); // never ends in this test
    lanes.run('webpush', second.job);
    lanes.run('webpush', third.job);
    lanes.run('email', email.job);
    expect([hung.started(), second.started(), third.started(), email.started()]).toEqual([true, true, false, true]);
    expect(lanes.stats().webpush).toEqual({ running: 2, queued: 1 });
    second.end();
    email.end();
    for (let i = 0; i < 100 && !third.started(); i++) await new Promise(setImmediate);
    // The queued job took the freed slot; the hung one still holds the other.
    expect(third.started()).toBe(true);
    expect(lanes.stats()).toMatchObject({ webpush: { running: 2, queued: 0 }, email: { running: 0, queued: 0 } });
    third.end();
    hung.end();
    await lanes.idle();
    expect(lanes.stats().webpush).toEqual({ running: 0, queued: 0 });
    expect(errors).toEqual([]);
  });

  it('report a failed job and free its slot', async () => {
    const errors: [DispatchChannel, unknown][] = [];
    const lanes = createLanes(LIMITS, (c, e) => errors.push([c, e]));
    const boom = new Error('boom');
    lanes.run('fcm', () => Promise.reject(boom));
    let ran = false;
    lanes.run('fcm', () => {
      ran = true;
      return Promise.resolve();
    });
    await lanes.idle();
    expect(ran).toBe(true);
    expect(errors).toEqual([['fcm', boom]]);
  });

  it('serve the most urgent queued job first: an urgency-4 job overtakes a queued broadcast, equal urgency keeps its order', async () => {
    const lanes = createLanes(LIMITS, () => undefined);
    const order: string[] = [];
    const running = gate();
    lanes.run('fcm', running.job, 1); // a broadcast's job holds the one fcm slot
    const job = (name: string) => () => {
      order.push(name);
      return Promise.resolve();
    };
    for (let i = 0; i < 5; i++) lanes.run('fcm', job(`broadcast-${String(i)}`), 1);
    lanes.run('fcm', job('normal'), 3);
    lanes.run('fcm', job('urgent-a'), 4);
    lanes.run('fcm', job('urgent-b'), 4);
    expect(lanes.stats().fcm).toEqual({ running: 1, queued: 8 });
    running.end();
    await lanes.idle();
    expect(order).toEqual([
      'urgent-a',
      'urgent-b',
      'normal',
      'broadcast-0',
      'broadcast-1',
      'broadcast-2',
      'broadcast-3',
      'broadcast-4',
    ]);
  });
});
