import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { DomainEvent } from '../../../schema/events.js';
import { TriageEvent } from '../../../schema/triage-events.js';

const triaged = {
  type: 'MessageTriaged',
  data: {
    mid: 'm-1',
    batch: 0,
    due: '2030-01-01T00:00:00.000Z',
    expiresAt: '2030-01-02T00:00:00.000Z',
    urgency: 3,
    next: '500',
    recipients: [
      {
        uid: 'bob',
        online: false,
        steps: [
          { channel: 'webpush', deviceId: 'd1', at: '2030-01-01T00:00:00.000Z', reason: 'offline' },
          { channel: 'email', at: '2030-01-01T01:00:00.000Z', reason: 'unread', digest: '2030-01-01T00:00:00.000Z' },
        ],
      },
    ],
  },
};
const ref = { key: 'm-1/bob/webpush/d1', uid: 'bob', channel: 'webpush', mid: 'm-1', deviceId: 'd1' };
const events = [
  triaged,
  { type: 'MessageDue', data: { mid: 'm-1', due: '2030-01-01T00:00:00.000Z' } },
  {
    type: 'DeliveryAttempted',
    data: { ...ref, attempt: 0, node: 'local', run: 'r', leaseUntil: '2030-01-01T00:02:00.000Z' },
  },
  { type: 'DeliverySucceeded', data: { ...ref, attempt: 0, providerId: 'p' } },
  { type: 'DeliveryFailed', data: { ...ref, attempt: 0, reason: '503', outcome: 'retry' } },
  { type: 'DeliveryRetryScheduled', data: { ...ref, attempt: 1, afterMs: 2000, at: '2030-01-01T00:00:02.000Z' } },
  { type: 'DeliveryGivenUp', data: { ...ref, attempts: 8, reason: 'gone' } },
  {
    type: 'DeliverySkipped',
    data: {
      key: 'bob/email/2030-01-01T00:00:00.000Z',
      uid: 'bob',
      channel: 'email',
      mids: [],
      digest: '2030-01-01T00:00:00.000Z',
      reason: 'read',
    },
  },
];

describe('triage events', () => {
  it('decode as TriageEvent and as DomainEvent, unchanged', () => {
    for (const e of events) {
      expect(TriageEvent.decode(e)).toEqual(E.right(e));
      expect(DomainEvent.decode(e)).toEqual(E.right(e));
    }
  });
  it('are refused when a field is out of its vocabulary', () => {
    expect(E.isLeft(TriageEvent.decode({ ...events[7], data: { ...ref, reason: 'bored' } }))).toBe(true);
    expect(E.isLeft(TriageEvent.decode({ ...triaged, data: { ...triaged.data, batch: -1 } }))).toBe(true);
    expect(
      E.isLeft(TriageEvent.decode({ type: 'DeliverySucceeded', data: { ...ref, channel: 'websocket', attempt: 0 } })),
    ).toBe(true);
  });
});
