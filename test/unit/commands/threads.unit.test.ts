import { describe, expect, it } from 'vitest';
import { asMessageId, asThreadId, asUserId } from '../../../schema/ids.js';
import { ctxFor, expectError, rightOf, setup, streamTypes } from './support.js';

const T = asThreadId('lobby');
const owner = ctxFor('owner');

describe('thread commands', () => {
  it('lands concurrent subscribes by 20 users to one thread', async () => {
    const { memory, commands, calls } = setup();
    rightOf(await commands.createThread(owner, { tid: T, opens: true }));
    const users = Array.from({ length: 20 }, (_, i) => `user${i}`);
    const results = await Promise.all(users.map((u) => commands.subscribe(ctxFor(u), T)));
    results.forEach(rightOf);
    const added = (await memory.read('thread-lobby')).filter((e) => e.type === 'ThreadMemberAdded');
    expect(added.map((e) => (e.data as { uid: string }).uid).sort()).toEqual([...users].sort());
    // They take turns on the thread's stream (commands/handler.ts `turns`): each appends once,
    // with no conflict (the retry after a conflict with another process: handler.unit.test.ts).
    expect(calls.append).toBe(1 + users.length);
  });

  it('creates a thread once and refuses the tid again', async () => {
    const { commands } = setup();
    expect(rightOf(await commands.createThread(owner, { tid: T, name: 'Lobby' })).tid).toBe(T);
    expectError(await commands.createThread(ctxFor('other'), { tid: T }), 'conflict', 'ThreadAlreadyExists');
  });

  it('claims an unknown thread for the first publisher, never for a subscriber', async () => {
    const { memory, commands } = setup();
    expectError(await commands.subscribe(ctxFor('ann'), asThreadId('ann-notes')), 'not_found', 'ThreadNotFound');
    expect(await streamTypes(memory, 'thread-ann-notes')).toEqual([]);
    rightOf(await commands.publish(ctxFor('ben'), asMessageId('m1'), asThreadId('ben-notes'), { msg: 'hi', opts: {} }));
    const [created] = await memory.read('thread-ben-notes');
    expect(created?.data).toEqual({ tid: 'ben-notes', owner: 'ben', opens: false, openp: false });
    expectError(await commands.subscribe(ctxFor('carol'), asThreadId('ben-notes')), 'not_found', 'ThreadNotFound');
    expectError(
      await commands.publish(ctxFor('carol'), asMessageId('m2'), asThreadId('ben-notes'), { msg: 'x', opts: {} }),
      'forbidden',
      'ThreadIsClosedToPublishers',
    );
  });

  it('records a claim as the publish decision it is, and writes nothing to a thread that exists', async () => {
    const { memory, commands } = setup();
    const ben = ctxFor('ben');
    rightOf(await commands.publish(ben, asMessageId('m1'), asThreadId('ben-notes'), { msg: 'hi', opts: {} }));
    const [claim] = await memory.read('thread-ben-notes');
    const [message] = await memory.read('message-m1');
    expect(claim?.type).toBe('ThreadCreated');
    expect(claim?.metadata.correlationId).toBe(ben.correlationId);
    expect((claim?.position ?? 0) < (message?.position ?? 0)).toBe(true);
    rightOf(await commands.publish(ben, asMessageId('m2'), asThreadId('ben-notes'), { msg: 'again', opts: {} }));
    expect(await streamTypes(memory, 'thread-ben-notes')).toEqual(['ThreadCreated']);
  });

  it('guards members: only oneself, or the owner and admins, may remove a subscriber', async () => {
    const { memory, commands } = setup();
    rightOf(await commands.createThread(owner, { tid: T, opens: true }));
    rightOf(await commands.subscribe(ctxFor('ann'), T));
    rightOf(await commands.subscribe(ctxFor('ben'), T));
    expectError(
      await commands.unsubscribe(ctxFor('ben'), T, asUserId('ann')),
      'forbidden',
      'MembersAreManagedByThreadAdmins',
    );
    rightOf(await commands.addMember(owner, T, asUserId('ben'), 'admin'));
    rightOf(await commands.unsubscribe(ctxFor('ben'), T, asUserId('ann')));
    rightOf(await commands.unsubscribe(ctxFor('ben'), T));
    rightOf(await commands.unsubscribe(ctxFor('ben'), T));
    rightOf(await commands.removeMember(ctxFor('root', { admin: true }), T, asUserId('ben'), 'admin'));
    expectError(
      await commands.addMember(ctxFor('ben'), T, asUserId('carol'), 'publisher'),
      'forbidden',
      'MembersAreManagedByThreadAdmins',
    );
    expect((await streamTypes(memory, 'thread-lobby')).slice(3)).toEqual([
      'ThreadMemberAdded',
      'ThreadMemberRemoved',
      'ThreadMemberRemoved',
      'ThreadMemberRemoved',
    ]);
  });

  it('answers with the head when a command was already satisfied', async () => {
    const { memory, commands } = setup();
    rightOf(await commands.createThread(owner, { tid: T, opens: true }));
    rightOf(await commands.subscribe(ctxFor('ann'), T));
    rightOf(await commands.createThread(ctxFor('ann'), { tid: asThreadId('elsewhere') }));
    const again = rightOf(await commands.subscribe(ctxFor('ann'), T));
    expect(again.position).toBe(await memory.head());
  });
});
