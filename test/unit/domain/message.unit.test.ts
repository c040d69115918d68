import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../domain/caller.js';
import { messageDecider } from '../../../domain/message.js';
import type { MessageCommand } from '../../../domain/message.js';
import type { EventOf, MessageEvent } from '../../../schema/events.js';
import type { Audience } from '../../../schema/message.js';
import { gwt } from './gwt.js';
import { T0, alice, bob, carol, later, mid, root, tid, uid } from './fixtures.js';

const given = gwt(messageDecider);
const M = mid('m-1');
const news: Audience = { kind: 'thread', tid: tid('news') };

const publishCmd = (over: Partial<Extract<MessageCommand, { type: 'Publish' }>> = {}): MessageCommand => ({
  type: 'Publish',
  mid: M,
  caller: alice,
  audience: news,
  content: { msg: 'hi', opts: {} },
  now: T0,
  ...over,
});

const published = (over: Partial<EventOf<'MessagePublished'>['data']> = {}): MessageEvent => ({
  type: 'MessagePublished',
  data: { mid: M, from: uid('alice'), audience: news, msg: 'hi', opts: {}, urgency: 3, at: T0.toISOString(), ...over },
});

const dueAt = later(60_000);
const scheduled = published({ scheduled: dueAt.toISOString() });

describe('Publish', () => {
  it('publishes with urgency from opts, else the thread default, else 3', () => {
    given([]).when(publishCmd()).then([published()]);
    given([])
      .when(publishCmd({ threadUrgency: 2 }))
      .then([published({ urgency: 2 })]);
    given([])
      .when(publishCmd({ threadUrgency: 2, content: { msg: 'hi', opts: { urgency: 4 } } }))
      .then([published({ urgency: 4, opts: { urgency: 4 } })]);
  });
  it('refuses an opts.urgency outside 1..4, naming it', () => {
    for (const bad of [0, 5, 2.5, '4', null]) {
      given([])
        .when(publishCmd({ content: { msg: 'hi', opts: { urgency: bad } } }))
        .then({ kind: 'invalid', code: 'UrgencyIsInvalid', msg: expect.stringContaining('opts.urgency') as unknown });
    }
  });
  it('keeps a schedule in the future and refuses one in the past', () => {
    given([])
      .when(publishCmd({ content: { msg: 'hi', opts: {}, scheduled: dueAt, subject: 's' } }))
      .then([published({ scheduled: dueAt.toISOString(), subject: 's' })]);
    given([])
      .when(publishCmd({ content: { msg: 'hi', opts: {}, scheduled: T0 } }))
      .then({ kind: 'invalid', code: 'ScheduledIsInThePast', msg: expect.stringContaining('scheduled') as unknown });
  });
  it('dedupes a list of users and bounds it to 1..10000', () => {
    const users = (uids: string[]): Audience => ({ kind: 'users', uids: uids.map(uid) });
    given([])
      .when(publishCmd({ audience: users(['b', 'c', 'b']) }))
      .then([published({ audience: users(['b', 'c']) })]);
    given([])
      .when(publishCmd({ audience: users([]) }))
      .then({ kind: 'invalid', code: 'AudienceIsEmpty' });
    const many = Array.from({ length: 10_001 }, (_, i) => `u${i}`);
    given([])
      .when(publishCmd({ audience: users(many) }))
      .then({ kind: 'invalid', code: 'AudienceIsTooLarge' });
  });
  it('publishes to one user and to everyone', () => {
    given([])
      .when(publishCmd({ audience: { kind: 'user', uid: uid('bob') } }))
      .then([published({ audience: { kind: 'user', uid: uid('bob') } })]);
    given([])
      .when(publishCmd({ audience: { kind: 'everyone' } }))
      .then([published({ audience: { kind: 'everyone' } })]);
  });
  it('treats a retry of the same message by the same sender as done', () => {
    given([published()])
      .when(publishCmd({ now: later(5_000) }))
      .then([]);
    // Even after its time has come, a retried scheduled message is the same message.
    given([scheduled])
      .when(publishCmd({ now: later(120_000), content: { msg: 'hi', opts: {}, scheduled: dueAt } }))
      .then([]);
  });
  it('refuses to reuse a mid for different content or another sender', () => {
    given([published()])
      .when(publishCmd({ content: { msg: 'other', opts: {} } }))
      .then({ kind: 'conflict', code: 'MessageIdIsTaken' });
    given([published()])
      .when(publishCmd({ caller: bob }))
      .then({ kind: 'conflict', code: 'MessageIdIsTaken' });
  });
});

describe('Cancel', () => {
  const cancelCmd = (caller: Caller, now: Date, over: object = {}): MessageCommand => ({
    type: 'Cancel',
    mid: M,
    caller,
    managesThread: false,
    isRecipient: false,
    now,
    ...over,
  });
  const cancelled = (by: string): MessageEvent => ({ type: 'MessageCancelled', data: { mid: M, by: uid(by) } });

  it('cancels a scheduled message before it is due, by its sender or an admin', () => {
    given([scheduled])
      .when(cancelCmd(alice, later(59_999)))
      .then([cancelled('alice')]);
    given([scheduled])
      .when(cancelCmd(root, T0))
      .then([cancelled('root')]);
    given([scheduled])
      .when(cancelCmd(bob, T0, { managesThread: true }))
      .then([cancelled('bob')]);
  });
  it('refuses a recipient, and answers anyone else exactly as for an unknown message, whatever tid they name', () => {
    given([scheduled])
      .when(cancelCmd(carol, T0, { isRecipient: true }))
      .then({ kind: 'forbidden', code: 'MessageBelongsToItsSender' });
    const unknown = given([]).when(cancelCmd(carol, T0)).result;
    expect(given([scheduled]).when(cancelCmd(carol, T0)).result).toEqual(unknown);
    expect(given([scheduled]).when(cancelCmd(carol, T0, { tid: tid('news') })).result).toEqual(unknown);
    expect(given([scheduled]).when(cancelCmd(carol, T0, { tid: tid('other') })).result).toEqual(unknown);
  });
  it('refuses once due, or when never scheduled', () => {
    given([scheduled]).when(cancelCmd(alice, dueAt)).then({ kind: 'conflict', code: 'MessageAlreadyDue' });
    given([published()]).when(cancelCmd(alice, T0)).then({ kind: 'conflict', code: 'MessageIsNotScheduled' });
  });
  it('checks the thread named by the caller', () => {
    given([scheduled])
      .when(cancelCmd(alice, T0, { tid: tid('news') }))
      .then([cancelled('alice')]);
    given([scheduled])
      .when(cancelCmd(alice, T0, { tid: tid('other') }))
      .then({ kind: 'not_found', code: 'MessageNotFound' });
    given([published({ audience: { kind: 'everyone' }, scheduled: dueAt.toISOString() })])
      .when(cancelCmd(alice, T0, { tid: tid('news') }))
      .then({ kind: 'not_found', code: 'MessageNotFound' });
  });
  it('is idempotent, and refuses unknown or retracted messages', () => {
    given([scheduled, cancelled('alice')])
      .when(cancelCmd(alice, T0))
      .then([]);
    given([]).when(cancelCmd(alice, T0)).then({ kind: 'not_found', code: 'MessageNotFound' });
    given([scheduled, { type: 'MessageRetracted', data: { mid: M, by: uid('alice') } }])
      .when(cancelCmd(alice, T0))
      .then({ kind: 'conflict', code: 'MessageWasRetracted' });
  });
});

describe('Retract', () => {
  const retract = (caller: Caller, managesThread = false): MessageCommand => ({
    type: 'Retract',
    mid: M,
    caller,
    managesThread,
  });
  const retracted = (by: string): MessageEvent => ({ type: 'MessageRetracted', data: { mid: M, by: uid(by) } });
  it("lets the sender, a global admin, or the thread's owner/admin retract", () => {
    given([published()])
      .when(retract(alice))
      .then([retracted('alice')]);
    given([published()])
      .when(retract(root))
      .then([retracted('root')]);
    given([published()])
      .when(retract(bob, true))
      .then([retracted('bob')]);
  });
  it('ignores thread management for messages not sent to a thread', () => {
    given([published({ audience: { kind: 'everyone' } })])
      .when(retract(bob, true))
      .then({ kind: 'forbidden', code: 'MessageBelongsToItsSender' });
  });
  it('refuses anyone else and unknown messages', () => {
    given([published()]).when(retract(carol)).then({ kind: 'forbidden', code: 'MessageBelongsToItsSender' });
    given([]).when(retract(alice)).then({ kind: 'not_found', code: 'MessageNotFound' });
  });
  it('does nothing for a message already retracted or cancelled', () => {
    given([published(), retracted('alice')])
      .when(retract(alice))
      .then([]);
    given([scheduled, { type: 'MessageCancelled', data: { mid: M, by: uid('alice') } }])
      .when(retract(alice))
      .then([]);
  });
});
