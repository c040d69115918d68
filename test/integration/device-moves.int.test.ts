import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdGenerator } from '../../adapters/ids/ids.js';
import { DEVICE_MOVED } from '../../domain/user.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import { SECOND, T0, ctx, ok, sent, subscription, world } from './triage-harness.js';
import type { World } from './triage-harness.js';

// A device (the same web push endpoint: the same device id) belongs to the latest user to enlist
// it (domain/delivery/moves.ts), on the embedded log with the triage reactors: the earlier
// holder's enlistment is revoked once, as moved; a message planned for it before the move is not
// pushed to it after; a rebuild of delivery's state from the log revokes nothing again.
let w: World;
afterEach(async () => {
  await w.close();
});
const ids = createIdGenerator(() => T0.getTime());
const PHONE = subscription('shared-phone');

const enlist = async (uid: string): Promise<void> => {
  await ok(w.commands.enlist(ctx(uid, w.now()), PHONE));
};
const revocations = async (): Promise<string[]> =>
  (await w.events('DeviceRevoked')).map((e) => {
    const d = e.data as { uid: string; reason: string };
    return `${d.uid}:${d.reason}`;
  });
const send = async (to: string): Promise<string> => {
  const mid = asMessageId(ids.messageId());
  await ok(w.commands.send(ctx('admin', w.now(), true), mid, asUserId(to), { msg: `for ${to}`, opts: {} }));
  return mid;
};
const rebuild = async (): Promise<void> => {
  await w.crash();
  for (const f of ['reactors.db', 'reactors.db-wal', 'reactors.db-shm']) rmSync(join(w.dir, f), { force: true });
  await w.restart();
  await w.reactors.settle();
};

describe('one holder per device', () => {
  it('alice then bob in one batch of the fold: alice is revoked once, as moved, and bob gets his push', async () => {
    w = world();
    await w.reactors.stop();
    await enlist('alice');
    await enlist('bob');
    await w.crash();
    await w.restart();
    await w.reactors.settle();
    expect(await revocations()).toEqual([`alice:${DEVICE_MOVED}`]);
    await send('alice');
    await send('bob');
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:bob']);
  });

  it('a push planned for alice before bob took the device is not sent to it', async () => {
    w = world();
    await enlist('alice');
    // Online: the push waits 30 s for her to look first.
    w.presence.online.add('alice');
    await send('alice');
    await w.reactors.settle();
    await enlist('bob');
    await w.reactors.settle();
    w.clock.advance(30 * SECOND);
    await w.reactors.settle();
    expect(sent(w)).toEqual([]);
    expect(await revocations()).toEqual([`alice:${DEVICE_MOVED}`]);
  });

  it('bob enlisting it again moves nothing; alice taking it back revokes bob; a rebuild revokes nothing more', async () => {
    w = world();
    await enlist('alice');
    await enlist('bob');
    await w.reactors.settle();
    await enlist('bob');
    await w.reactors.settle();
    await enlist('alice');
    await w.reactors.settle();
    const before = [`alice:${DEVICE_MOVED}`, `bob:${DEVICE_MOVED}`];
    expect(await revocations()).toEqual(before);
    await rebuild();
    expect(await revocations()).toEqual(before);
    await send('alice');
    await send('bob');
    await w.reactors.settle();
    expect(sent(w)).toEqual(['webpush:alice']);
  });
});
