import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fold } from '../../../domain/decider.js';
import { messageDecider } from '../../../domain/message.js';
import { chooseDeletion } from '../../../domain/message-deletion.js';
import { threadDecider } from '../../../domain/thread.js';
import type { Audience } from '../../../schema/message.js';
import type { ThreadEvent } from '../../../schema/events.js';
import { T0, alice, bob, caller, carol, mid, root, tid, uid } from './fixtures.js';

const message = (audience: Audience) =>
  fold(messageDecider, [
    {
      type: 'MessagePublished',
      data: { mid: mid('m'), from: uid('alice'), audience, msg: 'hi', opts: {}, urgency: 3, at: T0.toISOString() },
    },
  ]);
const N = tid('news');
const thread = fold(threadDecider, [
  { type: 'ThreadCreated', data: { tid: N, owner: uid('bob'), opens: true, openp: false } },
  { type: 'ThreadMemberAdded', data: { tid: N, uid: uid('carol'), role: 'subscriber' } },
] satisfies ThreadEvent[]);
const noThread = threadDecider.initialState();

describe('chooseDeletion', () => {
  it('retracts for the sender, a global admin, or the thread owner', () => {
    expect(chooseDeletion(message({ kind: 'everyone' }), noThread, alice)).toEqual(E.right('retract'));
    expect(chooseDeletion(message({ kind: 'user', uid: uid('carol') }), noThread, root)).toEqual(E.right('retract'));
    expect(chooseDeletion(message({ kind: 'thread', tid: N }), thread, bob)).toEqual(E.right('retract'));
  });
  it('deletes from the inbox of a recipient', () => {
    expect(chooseDeletion(message({ kind: 'user', uid: uid('carol') }), noThread, carol)).toEqual(
      E.right('delete_from_inbox'),
    );
    expect(chooseDeletion(message({ kind: 'users', uids: [uid('x'), uid('carol')] }), noThread, carol)).toEqual(
      E.right('delete_from_inbox'),
    );
    expect(chooseDeletion(message({ kind: 'everyone' }), noThread, carol)).toEqual(E.right('delete_from_inbox'));
    expect(chooseDeletion(message({ kind: 'thread', tid: N }), thread, carol)).toEqual(E.right('delete_from_inbox'));
  });
  it('answers anyone else exactly as for an unknown message (no existence oracle)', () => {
    const unknown = chooseDeletion(messageDecider.initialState(), noThread, alice);
    expect(unknown).toMatchObject(E.left({ kind: 'not_found', code: 'MessageNotFound' }));
    expect(chooseDeletion(message({ kind: 'user', uid: uid('carol') }), noThread, caller('dave'))).toEqual(unknown);
    expect(chooseDeletion(message({ kind: 'thread', tid: N }), thread, caller('dave'))).toEqual(unknown);
  });
});
