import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIRST_BATCH, listPage, resumeAfter } from '../../../domain/triage/batches.js';
import type { Page } from '../../../domain/triage/batches.js';
import { deliveryStream, digestKey, digestStream, stepKey, triageStream } from '../../../domain/triage/keys.js';
import { T0 } from './fixtures.js';

describe('batches', () => {
  it('a list is paged by offset, the last page without a cursor', () => {
    expect(listPage(['a', 'b', 'c'], '', 2)).toEqual({ items: ['a', 'b'], next: '2' });
    expect(listPage(['a', 'b', 'c'], '2', 2)).toEqual({ items: ['c'] });
    expect(listPage(['a', 'b'], '', 2)).toEqual({ items: ['a', 'b'] });
  });
  it('an expansion resumes after the last batch written, and is done after the last one', () => {
    expect(resumeAfter(undefined)).toEqual(FIRST_BATCH);
    expect(resumeAfter({ batch: 3, next: 'u-0999' })).toEqual({ batch: 4, after: 'u-0999' });
    expect(resumeAfter({ batch: 4 })).toBe('done');
  });
  it('property: pages are bounded and together are the list, in order, each item once', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (list, size) => {
        const seen: string[] = [];
        let page: Page<string> = listPage(list, '', size);
        for (;;) {
          if (page.items.length > size) return false;
          seen.push(...page.items);
          if (page.next === undefined) break;
          page = listPage(list, page.next, size);
        }
        expect(seen).toEqual(list);
        return true;
      }),
    );
  });
});

describe('keys', () => {
  it('name streams after what they are about', () => {
    expect(triageStream('m-1')).toBe('triage-m-1');
    expect(deliveryStream(stepKey({ mid: 'm-1', uid: 'bob', channel: 'email' }))).toBe('delivery-m-1/bob/email');
    expect(deliveryStream(stepKey({ mid: 'm-1', uid: 'bob', channel: 'apns', deviceId: 'd1' }))).toBe(
      'delivery-m-1/bob/apns/d1',
    );
    expect(digestStream(digestKey('bob', 'email', T0))).toBe('digest-bob/email/2030-01-01T00:00:00.000Z');
  });
  it('keys of different parts cannot collide, since ids have no "/"', () => {
    expect(stepKey({ mid: 'm-1', uid: 'b-x', channel: 'sms' })).not.toBe(
      stepKey({ mid: 'm-1-b', uid: 'x', channel: 'sms' }),
    );
  });
});
