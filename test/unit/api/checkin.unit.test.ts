import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createCheckIn } from '../../../api/ws/checkin.js';
import type { Commands } from '../../../commands/types.js';
import { failedToAppend } from '../../../commands/handler.js';
import { invalid } from '../../../domain/errors.js';
import type { Logger } from '../../../ports/log.js';

// The node's check-in keeps an interval the log did not take and writes it, unchanged, with
// the next flush: a check-in lost to a failed append was session time lost for good.
type CheckIns = Parameters<Commands['checkIn']>[0];

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const setUp = (answers: ('ok' | 'unavailable' | 'throw' | 'invalid')[]) => {
  let t = 1_000_000;
  const written: CheckIns[] = [];
  const tried: CheckIns[] = [];
  const record: Commands['checkIn'] = (c) => {
    tried.push(c);
    const a = answers.shift() ?? 'ok';
    if (a === 'throw') return Promise.reject(new Error('connection reset'));
    if (a === 'unavailable') return Promise.resolve(E.left(failedToAppend('down')));
    if (a === 'invalid') return Promise.resolve(E.left(invalid('EventIsOutOfBounds', 'too big')));
    written.push(c);
    return Promise.resolve(E.right({ position: written.length }));
  };
  const checkIn = createCheckIn({ record, node: 'n1', intervalMs: 3_600_000, now: () => t, log: quiet });
  return { checkIn, written, tried, advance: (ms: number) => (t += ms) };
};

describe('websocket check-in', () => {
  it.each(['unavailable', 'throw'] as const)(
    'retries an interval whose append failed (%s), in order, unchanged',
    async (failure) => {
      const { checkIn, written, tried, advance } = setUp([failure]);
      checkIn.opened('olga');
      advance(1000);
      checkIn.closed('olga');
      await checkIn.flush();
      expect(written).toEqual([]);
      expect(tried).toHaveLength(1);
      checkIn.opened('pete');
      advance(500);
      await checkIn.flush();
      // The failed interval first, as it was; then the next one.
      expect(written).toHaveLength(2);
      expect(written[0]).toEqual(tried[0]);
      expect(written[0]?.users).toEqual([{ uid: 'olga', sessions: 0, opened: 1, closed: 1, onlineMs: 1000 }]);
      expect(written[1]?.from).toEqual(written[0]?.to);
      expect(written[1]?.users).toEqual([{ uid: 'pete', sessions: 1, opened: 1, closed: 0, onlineMs: 500 }]);
      await checkIn.stop();
    },
  );

  it('does not retry an interval the log refused as invalid (it would be refused again)', async () => {
    const { checkIn, written, tried, advance } = setUp(['invalid']);
    checkIn.opened('olga');
    advance(1000);
    await checkIn.flush();
    advance(1000);
    await checkIn.flush();
    expect(tried).toHaveLength(2);
    expect(written).toHaveLength(1);
    expect(written[0]?.users[0]).toMatchObject({ uid: 'olga', onlineMs: 1000 });
    await checkIn.stop();
  });

  it('writes nothing for an interval without sessions', async () => {
    const { checkIn, tried, advance } = setUp([]);
    advance(1000);
    await checkIn.flush();
    expect(tried).toEqual([]);
    await checkIn.stop();
  });
});
