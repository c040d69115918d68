import { describe, expect, it } from 'vitest';
import { messageLiveness } from '../../../delivery/live-reads.js';
import { asMessageId, asUserId } from '../../../schema/ids.js';
import { ctxFor, NOW, rightOf, setup } from '../commands/support.js';

// The live publisher's questions about a message, answered from the message's fold.
const admin = ctxFor('admin', { admin: true });
const later = new Date(NOW.getTime() + 3_600_000);
const M = asMessageId('0190a5d0-0000-7000-8000-000000000001');

describe('message liveness for the live publisher', () => {
  it('is live while published or scheduled, not once cancelled', async () => {
    const { commands } = setup();
    const live = messageLiveness(commands);
    rightOf(await commands.send(admin, M, asUserId('bob'), { msg: 'later', opts: {}, scheduled: later }));
    expect((await live.liveMessage(M))?.msg).toBe('later');
    rightOf(await commands.cancel(admin, M));
    expect(await live.liveMessage(M)).toBeUndefined();
  });

  it('keeps the audience of a retracted message, and knows none for an unknown one', async () => {
    const { commands } = setup();
    const live = messageLiveness(commands);
    rightOf(await commands.send(admin, M, asUserId('bob'), { msg: 'oops', opts: {} }));
    expect(rightOf(await commands.deleteMessage(admin, M)).effect).toBe('retracted');
    expect(await live.liveMessage(M)).toBeUndefined();
    expect(await live.audienceOf(M)).toEqual({ kind: 'user', uid: 'bob' });
    expect(await live.audienceOf(asMessageId('0190a5d0-0000-7000-8000-000000000009'))).toBeUndefined();
    expect(await live.liveMessage(asMessageId('0190a5d0-0000-7000-8000-000000000009'))).toBeUndefined();
  });
});
