import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { contentOf } from '../../../api/routes/content.js';
import { SendBody } from '../../../schema/http.js';

// What a send body becomes in the command (and so in the log): unknown fields are tolerated
// in a request, as the seeds' clients send them, but none of them is stored.
describe('message content from a request body', () => {
  const decoded = (body: unknown) => {
    const b = SendBody.decode(body);
    if (E.isLeft(b)) throw new Error('expected the body to decode');
    return contentOf(b.right);
  };

  it('stores a local schedule with its own fields only', () => {
    const c = decoded({
      uid: 'bob',
      msg: 'hi',
      scheduled: { at: '09:00', timezone: 'recipient', fallback: 'Europe/Paris', extra: 'x'.repeat(1000) },
      unknown: true,
    });
    expect(c.local).toEqual({ at: '09:00', timezone: 'recipient', fallback: 'Europe/Paris' });
    expect(JSON.stringify(c)).not.toContain('extra');
    expect(JSON.stringify(c)).not.toContain('unknown');
  });

  it('keeps a schedule without fallback as it is, and an instant as a date', () => {
    expect(decoded({ uid: 'bob', msg: 'hi', scheduled: { at: '07:30', timezone: 'Asia/Tokyo' } }).local).toEqual({
      at: '07:30',
      timezone: 'Asia/Tokyo',
    });
    const at = decoded({ uid: 'bob', msg: 'hi', scheduled: '2030-01-01T00:00:00Z' });
    expect(at.scheduled).toEqual(new Date('2030-01-01T00:00:00Z'));
    expect(at.local).toBeUndefined();
  });
});
