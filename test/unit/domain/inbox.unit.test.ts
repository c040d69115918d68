import { describe, it } from 'vitest';
import { inboxDecider } from '../../../domain/inbox.js';
import type { InboxEvent } from '../../../schema/events.js';
import { gwt } from './gwt.js';
import { mid, tid, uid } from './fixtures.js';

const given = gwt(inboxDecider);
const U = uid('carol');
const mids = (...xs: string[]) => xs.map(mid);
const acked = (status: 'delivered' | 'seen' | 'read' | 'clicked', ...xs: string[]): InboxEvent => ({
  type: 'MessagesAcknowledged',
  data: { uid: U, mids: mids(...xs), status },
});

describe('Acknowledge', () => {
  it('records receipts, each mid once', () => {
    given([])
      .when({ type: 'Acknowledge', uid: U, mids: mids('a', 'b', 'a'), status: 'delivered' })
      .then([acked('delivered', 'a', 'b')]);
  });
  it('skips an exact repeat of the last receipt but not a new status', () => {
    given([acked('seen', 'a')])
      .when({ type: 'Acknowledge', uid: U, mids: mids('a'), status: 'seen' })
      .then([]);
    given([acked('seen', 'a')])
      .when({ type: 'Acknowledge', uid: U, mids: mids('a'), status: 'clicked' })
      .then([acked('clicked', 'a')]);
  });
  it('refuses an empty or oversized list', () => {
    given([])
      .when({ type: 'Acknowledge', uid: U, mids: [], status: 'read' })
      .then({ kind: 'invalid', code: 'MidsAreEmpty' });
    const many = Array.from({ length: 1001 }, (_, i) => mid(`m${i}`));
    given([])
      .when({ type: 'Acknowledge', uid: U, mids: many, status: 'read' })
      .then({ kind: 'invalid', code: 'TooManyMids' });
  });
});

describe('MarkRead', () => {
  const marked = (m: string, t?: string): InboxEvent => ({
    type: 'LastReadMarked',
    data: { uid: U, mid: mid(m), ...(t !== undefined ? { tid: tid(t) } : {}) },
  });
  it('moves the marker, per thread or overall', () => {
    given([])
      .when({ type: 'MarkRead', uid: U, mid: mid('a') })
      .then([marked('a')]);
    given([marked('a')])
      .when({ type: 'MarkRead', uid: U, mid: mid('a'), tid: tid('news') })
      .then([marked('a', 'news')]);
    given([marked('a', 'news')])
      .when({ type: 'MarkRead', uid: U, mid: mid('b'), tid: tid('news') })
      .then([marked('b', 'news')]);
  });
  it('skips a marker that is already there', () => {
    given([marked('a', 'news')])
      .when({ type: 'MarkRead', uid: U, mid: mid('a'), tid: tid('news') })
      .then([]);
  });
});

describe('DeleteFromInbox', () => {
  const deleted = (...xs: string[]): InboxEvent => ({
    type: 'MessageDeletedFromInbox',
    data: { uid: U, mids: mids(...xs) },
  });
  it('deletes messages, skipping those already deleted', () => {
    given([])
      .when({ type: 'DeleteFromInbox', uid: U, mids: mids('a', 'b') })
      .then([deleted('a', 'b')]);
    given([deleted('a')])
      .when({ type: 'DeleteFromInbox', uid: U, mids: mids('a', 'b') })
      .then([deleted('b')]);
    given([deleted('a', 'b')])
      .when({ type: 'DeleteFromInbox', uid: U, mids: mids('b', 'a') })
      .then([]);
  });
});
