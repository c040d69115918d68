import { describe, expect, it } from 'vitest';
import { messageDecider } from '../../../domain/message.js';
import type { MessageCommand } from '../../../domain/message.js';
import { SCHEDULE_HORIZON_DAYS } from '../../../domain/message-content.js';
import { MessageEvent } from '../../../schema/events.js';
import type { Audience } from '../../../schema/message.js';
import { gwt } from './gwt.js';
import { T0, alice, later, mid, tid } from './fixtures.js';

// Issue 9, finding 4: the decider emits only dates the stored-event codec decodes, and keeps
// `scheduled` within a window that makes sense for a timer.
const given = gwt(messageDecider);
const news: Audience = { kind: 'thread', tid: tid('news') };
const publish = (scheduled: Date): MessageCommand => ({
  type: 'Publish',
  mid: mid('m-1'),
  caller: alice,
  audience: news,
  content: { msg: 'hi', opts: {}, scheduled },
  now: T0,
});
const DAY = 24 * 3600_000;

describe('Publish with a schedule', () => {
  it('Given nothing, When scheduled at the far edge of the window, Then it is published with that date, and the event decodes', () => {
    const edge = later(SCHEDULE_HORIZON_DAYS * DAY);
    const { result } = given([]).when(publish(edge));
    expect(result).toMatchObject({
      _tag: 'Right',
      right: [{ type: 'MessagePublished', data: { scheduled: edge.toISOString() } }],
    });
    if (result._tag === 'Right') for (const e of result.right) expect(MessageEvent.is(e)).toBe(true);
  });
  it('Given nothing, When scheduled one millisecond past the window, Then ScheduledIsTooFarAhead names scheduled', () => {
    given([])
      .when(publish(later(SCHEDULE_HORIZON_DAYS * DAY + 1)))
      .then({
        kind: 'invalid',
        code: 'ScheduledIsTooFarAhead',
        msg: `scheduled may be at most ${SCHEDULE_HORIZON_DAYS} days ahead`,
      });
  });
  it('Given nothing, When scheduled at a date no stored event can hold (year 275760, or none), Then ScheduledIsNotADate', () => {
    for (const d of [new Date(8_640_000_000_000_000), new Date(Number.NaN), new Date(-1)]) {
      given([]).when(publish(d)).then({ kind: 'invalid', code: 'ScheduledIsNotADate' });
    }
  });
});
