import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chained } from '../../../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { sealValue } from '../../../adapters/eventstore/seal-cipher.js';
import { sealed } from '../../../adapters/eventstore/sealed.js';
import { createSealedShare, sealedShareReader } from '../../../adapters/eventstore/sealed-share.js';
import type { EventToAppend } from '../../../ports/eventstore.js';
import type { KeyStore } from '../../../ports/keystore.js';
import { ERASED_TEXT, sealContext } from '../../../schema/personal.js';
import { memoryKeys } from './memory-keys.js';

// The fields the main thread seals, shared with the projection workers (sealed-share.ts): a
// reader takes the plain value of exactly the envelope the writer made, equal to what
// deciphering gives, and nothing of an owner the writer has forgotten.
// A reader without any key: whatever it opens came from the shared memory.
const noKeys: KeyStore = {
  keyFor: () => Promise.reject(new Error('does not seal')),
  find: () => Promise.resolve(undefined),
  destroy: () => Promise.resolve(0),
  close: () => Promise.resolve(),
};
const ev = (i: number, type: string, data: unknown): EventToAppend => ({
  type,
  data,
  metadata: {
    eventId: `e${String(i)}`,
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { uid: 'root', roles: ['admin'] },
    correlationId: `c${String(i)}`,
    causationId: `c${String(i)}`,
  },
});
const message = (mid: string, uid: string, msg: string): EventToAppend =>
  ev(1, 'MessagePublished', {
    mid,
    from: 'root',
    audience: { kind: 'user', uid },
    msg,
    opts: { ttl: 60, data: { n: [1, 'ü€😀'] } },
    urgency: 3,
    at: '2026-01-01T00:00:00.000Z',
    subject: `about ${msg}`,
  });

const setup = async () => {
  const chain = chained(createMemoryEventStore());
  const keys = memoryKeys();
  const share = createSealedShare();
  const writer = sealed(chain, keys, share);
  await writer.append('message-m1', [message('m1', 'dora', 'for dora')], 'no_stream');
  await writer.append('message-m2', [message('m2', 'eve', 'for eve')], 'no_stream');
  await writer.append(
    'user-dora',
    [ev(2, 'ContactPointsChanged', { uid: 'dora', email: 'dora@x.example' })],
    'no_stream',
  );
  return { chain, keys, share, writer };
};

describe('sealed fields shared between threads', () => {
  it('a reader opens what the writer sealed exactly as deciphering does, without the key', async () => {
    const { chain, keys, share } = await setup();
    const deciphered = await sealed(chain, keys).readAll({ limit: 100 });
    const viaShare = await sealed(chain, noKeys, sealedShareReader(share.memory)).readAll({ limit: 100 });
    expect(viaShare).toEqual(deciphered);
    expect(viaShare.map((e) => e.data)).toMatchObject([
      { msg: 'for dora', subject: 'about for dora', opts: { ttl: 60, data: { n: [1, 'ü€😀'] } } },
      { msg: 'for eve' },
      { email: 'dora@x.example' },
    ]);
    // Without the share, the same keyless reader can open nothing: the values above came from it.
    const keyless = await sealed(chain, noKeys).readAll({ limit: 100 });
    expect(keyless.map((e) => e.data)).toMatchObject([{ msg: ERASED_TEXT }, { msg: ERASED_TEXT }, { email: null }]);
  });

  it("after the writer forgets an owner, a reader finds none of the owner's fields, and still the others'", async () => {
    const { chain, share, writer } = await setup();
    await writer.forget('dora');
    const read = await sealed(chain, noKeys, sealedShareReader(share.memory)).readAll({ limit: 100 });
    expect(read.map((e) => e.data)).toMatchObject([
      { msg: ERASED_TEXT, redacted: ['msg', 'subject', 'opts'] },
      { msg: 'for eve' },
      { email: null, redacted: ['email'] },
    ]);
  });

  it('answers only for the very envelope shared; a reader neither puts nor drops; a long field is not shared', () => {
    const share = createSealedShare();
    const reader = sealedShareReader(share.memory);
    const key = new Uint8Array(randomBytes(32));
    const context = sealContext('dora', 'MessagePublished', 'msg');
    const field = sealValue(key, 'k1', context, 'hello');
    share.put('dora', context, field, 'hello');
    expect(reader.get('dora', context, field)).toEqual({ value: 'hello' });
    expect(reader.get('eve', context, field)).toBeUndefined();
    expect(reader.get('dora', sealContext('dora', 'MessagePublished', 'subject'), field)).toBeUndefined();
    expect(reader.get('dora', context, { ...field, ct: sealValue(key, 'k1', context, 'hellO').ct })).toBeUndefined();
    expect(reader.get('dora', context, sealValue(key, 'k1', context, 'hello'))).toBeUndefined();
    reader.drop('dora');
    expect(reader.get('dora', context, field)).toEqual({ value: 'hello' });
    const other = sealValue(key, 'k1', context, 'x');
    reader.put('dora', context, other, 'x');
    expect(share.get('dora', context, other)).toBeUndefined();
    const long = 'y'.repeat(2000);
    const big = sealValue(key, 'k1', context, long);
    share.put('dora', context, big, long);
    expect(reader.get('dora', context, big)).toBeUndefined();
    share.drop('dora');
    expect(reader.get('dora', context, field)).toBeUndefined();
  });
});
