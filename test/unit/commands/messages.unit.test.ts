import { describe, expect, it } from 'vitest';
import type { Commands } from '../../../commands/types.js';
import { asMessageId, asThreadId, asUserId } from '../../../schema/ids.js';
import { NOW, ctxFor, expectError, rightOf, setup, streamTypes } from './support.js';

const T = asThreadId('news');
const M = asMessageId('m-1');
const hi = { msg: 'hi', opts: {} };
const inAMinute = new Date(NOW.getTime() + 60_000);
const owner = ctxFor('owner');

const newsThread = async (commands: Commands): Promise<void> => {
  rightOf(await commands.createThread(owner, { tid: T, opens: true, openp: true, urgency: 2 }));
  rightOf(await commands.subscribe(ctxFor('sub'), T));
};

describe('publishing', () => {
  it('publishes a mid once, answering a retry with the first position', async () => {
    const { memory, commands } = setup();
    await newsThread(commands);
    const first = rightOf(await commands.publish(ctxFor('ann'), M, T, hi));
    const retry = rightOf(await commands.publish(ctxFor('ann', { now: new Date(NOW.getTime() + 1000) }), M, T, hi));
    expect(await streamTypes(memory, 'message-m-1')).toEqual(['MessagePublished']);
    expect(retry).toEqual(first);
    expectError(
      await commands.publish(ctxFor('ann'), M, T, { msg: 'changed', opts: {} }),
      'conflict',
      'MessageIdIsTaken',
    );
  });

  it('publishes a mid once when the same request races itself', async () => {
    const { memory, commands } = setup();
    const results = await Promise.all([1, 2, 3].map(() => commands.send(ctxFor('ann'), M, asUserId('bob'), hi)));
    results.forEach(rightOf);
    expect(await streamTypes(memory, 'message-m-1')).toEqual(['MessagePublished']);
  });

  it("takes the thread's urgency unless opts say otherwise", async () => {
    const { memory, commands } = setup();
    await newsThread(commands);
    rightOf(await commands.publish(ctxFor('ann'), asMessageId('a'), T, hi));
    rightOf(await commands.publish(ctxFor('ann'), asMessageId('b'), T, { msg: 'x', opts: { urgency: 4 } }));
    rightOf(await commands.broadcast(ctxFor('ann'), asMessageId('c'), hi));
    const urgency = async (mid: string) =>
      ((await memory.read(`message-${mid}`))[0]?.data as { urgency: number }).urgency;
    expect([await urgency('a'), await urgency('b'), await urgency('c')]).toEqual([2, 4, 3]);
  });

  it('refuses bad content before claiming an unknown thread', async () => {
    const { memory, commands } = setup();
    expectError(
      await commands.publish(ctxFor('ann'), M, asThreadId('fresh'), { msg: 'x', opts: { urgency: 9 } }),
      'invalid',
      'UrgencyIsInvalid',
    );
    expectError(
      await commands.publish(ctxFor('ann'), M, asThreadId('fresh'), { ...hi, scheduled: NOW }),
      'invalid',
      'ScheduledIsInThePast',
    );
    expect(await memory.head()).toBe(0);
  });

  it('sends to users, deduping a multicast list', async () => {
    const { memory, commands } = setup();
    rightOf(await commands.multicast(ctxFor('ann'), M, [asUserId('b'), asUserId('c'), asUserId('b')], hi));
    expect(((await memory.read('message-m-1'))[0]?.data as { audience: unknown }).audience).toEqual({
      kind: 'users',
      uids: ['b', 'c'],
    });
    expectError(await commands.multicast(ctxFor('ann'), asMessageId('m-2'), [], hi), 'invalid', 'AudienceIsEmpty');
  });
});

describe('cancelling', () => {
  it('cancels a scheduled message before it is due, by its sender or an admin only', async () => {
    const { memory, commands } = setup();
    await newsThread(commands);
    rightOf(await commands.publish(ctxFor('ann'), M, T, { ...hi, scheduled: inAMinute }));
    expectError(await commands.cancel(ctxFor('sub'), M, T), 'forbidden', 'MessageBelongsToItsSender');
    expectError(await commands.cancel(ctxFor('ann'), M, asThreadId('other')), 'not_found', 'MessageNotFound');
    expectError(await commands.cancel(ctxFor('ann', { now: inAMinute }), M, T), 'conflict', 'MessageAlreadyDue');
    rightOf(await commands.cancel(ctxFor('owner'), M, T));
    expect(await streamTypes(memory, 'message-m-1')).toEqual(['MessagePublished', 'MessageCancelled']);
  });
  it('refuses unscheduled and unknown messages', async () => {
    const { commands } = setup();
    rightOf(await commands.send(ctxFor('ann'), M, asUserId('bob'), hi));
    expectError(await commands.cancel(ctxFor('ann'), M), 'conflict', 'MessageIsNotScheduled');
    expectError(await commands.cancel(ctxFor('ann'), asMessageId('nope')), 'not_found', 'MessageNotFound');
  });
});

describe('deleting', () => {
  it('retracts for the sender, and for the owner of the thread', async () => {
    const { memory, commands } = setup();
    await newsThread(commands);
    rightOf(await commands.publish(ctxFor('ann'), asMessageId('a'), T, hi));
    rightOf(await commands.publish(ctxFor('ann'), asMessageId('b'), T, hi));
    expect(rightOf(await commands.deleteMessage(ctxFor('ann'), asMessageId('a'))).effect).toBe('retracted');
    expect(rightOf(await commands.deleteMessage(owner, asMessageId('b'))).effect).toBe('retracted');
    expect(await streamTypes(memory, 'message-b')).toEqual(['MessagePublished', 'MessageRetracted']);
  });
  it("deletes from a recipient's own inbox", async () => {
    const { memory, commands } = setup();
    await newsThread(commands);
    rightOf(await commands.publish(ctxFor('ann'), M, T, hi));
    expect(rightOf(await commands.deleteMessage(ctxFor('sub'), M)).effect).toBe('deleted_from_inbox');
    expect((await memory.read('inbox-sub')).map((e) => e.data)).toEqual([{ uid: 'sub', mids: ['m-1'] }]);
    expect(await streamTypes(memory, 'message-m-1')).toEqual(['MessagePublished']);
  });
  it('refuses a non-recipient and an unknown mid', async () => {
    const { commands } = setup();
    rightOf(await commands.send(ctxFor('ann'), M, asUserId('bob'), hi));
    expect(rightOf(await commands.deleteMessage(ctxFor('bob'), M)).effect).toBe('deleted_from_inbox');
    expectError(await commands.deleteMessage(ctxFor('eve'), M), 'not_found', 'MessageNotFound');
    expectError(await commands.deleteMessage(ctxFor('ann'), asMessageId('nope')), 'not_found', 'MessageNotFound');
  });
});

describe('inbox receipts', () => {
  it("appends acks, last-read markers and deletions to the caller's inbox, skipping exact repeats", async () => {
    const { memory, commands } = setup();
    rightOf(await commands.acknowledge(ctxFor('bob'), [M], 'delivered'));
    rightOf(await commands.acknowledge(ctxFor('bob'), [M], 'delivered'));
    rightOf(await commands.acknowledge(ctxFor('bob'), [M], 'read'));
    rightOf(await commands.markRead(ctxFor('bob'), M, T));
    rightOf(await commands.markRead(ctxFor('bob'), M, T));
    rightOf(await commands.deleteFromInbox(ctxFor('bob'), [M]));
    expect(await streamTypes(memory, 'inbox-bob')).toEqual([
      'MessagesAcknowledged',
      'MessagesAcknowledged',
      'LastReadMarked',
      'MessageDeletedFromInbox',
    ]);
    expectError(await commands.acknowledge(ctxFor('bob'), [], 'seen'), 'invalid', 'MidsAreEmpty');
  });
});
