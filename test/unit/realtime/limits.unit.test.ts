import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { escapeToken, keyOf, subjectOf, unescapeToken } from '../../../adapters/bus/subjects.js';
import { BURST, freshBucket, take } from '../../../api/ws/flood.js';
import { createExpiryWheel } from '../../../api/ws/expiry.js';
import { uuidv7Ms } from '../../../api/ws/catch-up.js';
import { CloseCode } from '../../../api/ws/close-codes.js';
import { CloseCodes } from '../../../web/client/client.js';

describe('flood buckets', () => {
  const limits = { maxFramesPerSec: 10, maxBytesPerSec: 1000 };
  it('allows a burst of twice the rate, then refuses until time refills it', () => {
    const b = freshBucket(limits, 0);
    for (let i = 0; i < 10 * BURST; i += 1) expect(take(b, limits, 1, 0)).toBe('ok');
    expect(take(b, limits, 1, 0)).toBe('frames');
    expect(take(b, limits, 1, 100)).toBe('ok'); // 100 ms at 10/s: one more frame
    expect(take(b, limits, 1, 100)).toBe('frames');
  });
  it('counts bytes separately from frames', () => {
    const b = freshBucket(limits, 0);
    expect(take(b, limits, 1500, 0)).toBe('ok');
    expect(take(b, limits, 600, 0)).toBe('bytes');
    expect(take(b, limits, 600, 200)).toBe('ok');
  });
  it('never lets more through over a long run than rate x time + burst', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 300 }), (gaps) => {
        const b = freshBucket(limits, 0);
        let t = 0;
        let ok = 0;
        for (const g of gaps) {
          t += g;
          if (take(b, limits, 1, t) === 'ok') ok += 1;
        }
        return ok <= limits.maxFramesPerSec * (t / 1000) + limits.maxFramesPerSec * BURST;
      }),
    );
  });
});

describe('NATS subject tokens', () => {
  it('escape ids into one token and back', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._:@+=%-]{1,64}$/), (id) => {
        const token = escapeToken(id);
        return !/[.*>\s]/.test(token) && unescapeToken(token) === id;
      }),
    );
    expect(subjectOf('msgxc', 'thread', 'a.b')).toBe('msgxc.thread.a%2Eb');
    expect(keyOf('msgxc', 'thread', 'msgxc.thread.a%2Eb')).toBe('a.b');
    expect(subjectOf('msgxc', 'broadcast', '')).toBe('msgxc.broadcast');
  });
});

describe('expiry wheel', () => {
  it('ends each item once at its second, and forgets removed ones', () => {
    // Fake timers: the wheel's ticks happen when the test says, not when a loaded machine lets them.
    vi.useFakeTimers();
    let now = 10_000;
    const ended: string[] = [];
    const wheel = createExpiryWheel<string>(
      (s) => ended.push(s),
      () => now,
      10,
    );
    wheel.add('a', 10_015);
    wheel.add('b', 10_025);
    wheel.add('c', 10_025);
    wheel.remove('c', 10_025);
    now = 10_020;
    vi.advanceTimersByTime(30);
    expect(ended).toEqual(['a']);
    now = 10_100;
    vi.advanceTimersByTime(30);
    expect(ended).toEqual(['a', 'b']);
    vi.advanceTimersByTime(100);
    expect(ended).toEqual(['a', 'b']);
    wheel.stop();
    vi.useRealTimers();
  });
});

describe('protocol constants', () => {
  it('the client library knows the close codes the server uses', () => {
    expect(CloseCodes).toEqual(CloseCode);
  });
  it('reads the time out of a UUIDv7 and nothing out of other ids', () => {
    expect(uuidv7Ms('01890a5d-ac96-774b-bcce-b302099a8057')).toBe(0x01890a5dac96);
    expect(uuidv7Ms('c232ab00-9414-11ec-b3c8-9e6bdeced846')).toBeUndefined();
  });
});
