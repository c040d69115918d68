import { describe, it } from 'vitest';
import { messageDecider } from '../../../domain/message.js';
import type { MessageCommand } from '../../../domain/message.js';
import type { AudienceSource, EventOf, MessageEvent } from '../../../schema/events.js';
import type { Audience } from '../../../schema/message.js';
import { gwt } from './gwt.js';
import { T0, alice, mid, uid } from './fixtures.js';

// Multicast by segment or query (issue 13): the decider records where the audience came from
// (AudienceResolved) in the same decision as the message, before it; a retry of the same mid
// decides nothing; a plain multicast records no resolution.
const given = gwt(messageDecider);
const M = mid('m-seg');
const audience: Audience = { kind: 'users', uids: [uid('u1'), uid('u2'), uid('u3')] };
const bySegment: AudienceSource = { query: { tag: 'beta' }, segment: mid('seg-1'), name: 'Beta testers' };

const publishCmd = (over: Partial<Extract<MessageCommand, { type: 'Publish' }>> = {}): MessageCommand => ({
  type: 'Publish',
  mid: M,
  caller: alice,
  audience,
  content: { msg: 'hi', opts: {} },
  now: T0,
  resolvedFrom: bySegment,
  ...over,
});

const published = (over: Partial<EventOf<'MessagePublished'>['data']> = {}): MessageEvent => ({
  type: 'MessagePublished',
  data: { mid: M, from: uid('alice'), audience, msg: 'hi', opts: {}, urgency: 3, at: T0.toISOString(), ...over },
});

const resolved = (source: AudienceSource, count: number): MessageEvent => ({
  type: 'AudienceResolved',
  data: { mid: M, source, count, by: uid('alice'), at: T0.toISOString() },
});

describe('Publish with a resolved audience', () => {
  it('records AudienceResolved (source, count) before the message, in one decision', () => {
    given([])
      .when(publishCmd())
      .then([resolved(bySegment, 3), published()]);
    given([])
      .when(publishCmd({ resolvedFrom: { query: { attribute: 'plan', eq: 'pro' } } }))
      .then([resolved({ query: { attribute: 'plan', eq: 'pro' } }, 3), published()]);
  });
  it('counts the deduplicated list that is published', () => {
    const dup: Audience = { kind: 'users', uids: [uid('u1'), uid('u1'), uid('u2')] };
    const deduped: Audience = { kind: 'users', uids: [uid('u1'), uid('u2')] };
    given([])
      .when(publishCmd({ audience: dup }))
      .then([resolved(bySegment, 2), published({ audience: deduped })]);
  });
  it('a retry of the same mid is already satisfied: nothing is resolved again', () => {
    given([resolved(bySegment, 3), published()])
      .when(publishCmd())
      .then([]);
  });
  it('a retry naming other users under the same mid is a conflict', () => {
    given([resolved(bySegment, 3), published()])
      .when(publishCmd({ audience: { kind: 'users', uids: [uid('u9')] } }))
      .then({ kind: 'conflict', code: 'MessageIdIsTaken' });
  });
  it('an explicit multicast records no resolution', () => {
    const plain: MessageCommand = {
      type: 'Publish',
      mid: M,
      caller: alice,
      audience,
      content: { msg: 'hi', opts: {} },
      now: T0,
    };
    given([]).when(plain).then([published()]);
  });
  it('an empty resolved list is refused like an empty multicast', () => {
    given([])
      .when(publishCmd({ audience: { kind: 'users', uids: [] } }))
      .then({ kind: 'invalid', code: 'AudienceIsEmpty' });
  });
});
