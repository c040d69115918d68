import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chained } from '../../../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { openValue, sealValue } from '../../../adapters/eventstore/seal-cipher.js';
import { sealed } from '../../../adapters/eventstore/sealed.js';
import { verifyLog } from '../../../adapters/eventstore/verify.js';
import type { EventToAppend } from '../../../ports/eventstore.js';
import type { KeyStore } from '../../../ports/keystore.js';
import { DomainEvent } from '../../../schema/events.js';
import { ERASED_TEXT, isSealed, ownerOf, sealContext } from '../../../schema/personal.js';

// Sealing personal fields (docs/gdpr.md): the cipher, which fields are sealed and whose they
// are, and the log decorator: sealed at rest, opened on read, redacted (and still decodable)
// once the owner's keys are destroyed, with the hash chain intact.
const memoryKeys = (): KeyStore & { readonly rows: Map<string, Map<string, Uint8Array>> } => {
  const rows = new Map<string, Map<string, Uint8Array>>();
  return {
    rows,
    keyFor: (owner) => {
      const mine = rows.get(owner) ?? new Map<string, Uint8Array>();
      rows.set(owner, mine);
      const [first] = mine.entries();
      if (first !== undefined) return Promise.resolve({ kid: first[0], key: first[1] });
      const made = { kid: randomBytes(6).toString('hex'), key: new Uint8Array(randomBytes(32)) };
      mine.set(made.kid, made.key);
      return Promise.resolve(made);
    },
    find: (owner, kid) => Promise.resolve(rows.get(owner)?.get(kid)),
    destroy: (owner) => {
      const n = rows.get(owner)?.size ?? 0;
      rows.delete(owner);
      return Promise.resolve(n);
    },
    close: () => Promise.resolve(),
  };
};
const meta = (i: number): EventToAppend['metadata'] => ({
  eventId: `e${String(i)}`,
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { uid: 'root', roles: ['admin'] },
  correlationId: `c${String(i)}`,
  causationId: `c${String(i)}`,
});
const ev = (i: number, type: string, data: unknown): EventToAppend => ({ type, data, metadata: meta(i) });
const device = { os: 'android', token: 'tok-secret-123' };

describe('seal cipher', () => {
  const key = new Uint8Array(randomBytes(32));
  it('round-trips any JSON value, with a fresh iv each time', () => {
    for (const v of ['a@b.example', null, { a: [1, 'x'] }, 'ü€😀']) {
      const s = sealValue(key, 'k1', 'ctx', v);
      expect(isSealed(s)).toBe(true);
      expect(openValue(key, 'ctx', s)).toEqual({ value: v });
    }
    expect(sealValue(key, 'k1', 'ctx', 'x').iv).not.toBe(sealValue(key, 'k1', 'ctx', 'x').iv);
  });
  it('draws a different iv for every field, across refills of its pool, each opening', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const s = sealValue(key, 'k1', 'ctx', i);
      expect(Buffer.from(s.iv, 'base64')).toHaveLength(12);
      seen.add(s.iv);
      expect(openValue(key, 'ctx', s)).toEqual({ value: i });
    }
    expect(seen.size).toBe(2000);
  });
  it('does not open under another key, another context, or altered bytes', () => {
    const s = sealValue(key, 'k1', sealContext('dora', 'ContactPointsChanged', 'email'), 'd@x.example');
    expect(openValue(new Uint8Array(randomBytes(32)), sealContext('dora', 'ContactPointsChanged', 'email'), s)).toBe(
      undefined,
    );
    expect(openValue(key, sealContext('eve', 'ContactPointsChanged', 'email'), s)).toBeUndefined();
    expect(openValue(key, sealContext('dora', 'ContactPointsChanged', 'cell'), s)).toBeUndefined();
    const ct = Buffer.from(s.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(
      openValue(key, sealContext('dora', 'ContactPointsChanged', 'email'), { ...s, ct: ct.toString('base64') }),
    ).toBe(undefined);
    expect(openValue(key, 'x', { ...s, iv: 'short' })).toBeUndefined();
  });
});

describe('personal fields', () => {
  it('names the owner of user events and of messages to one user only', () => {
    expect(ownerOf('ContactPointsChanged', { uid: 'dora', email: 'x' })).toBe('dora');
    expect(ownerOf('DeviceEnlisted', { uid: 'dora' })).toBe('dora');
    expect(ownerOf('MessagePublished', { audience: { kind: 'user', uid: 'dora' } })).toBe('dora');
    expect(ownerOf('MessagePublished', { audience: { kind: 'users', uids: ['dora', 'eve'] } })).toBeUndefined();
    expect(ownerOf('MessagePublished', { audience: { kind: 'thread', tid: 't' } })).toBeUndefined();
    expect(ownerOf('UserRecognized', { uid: 'dora' })).toBeUndefined();
    expect(ownerOf('ContactPointsChanged', null)).toBeUndefined();
  });
});

describe('sealed event store', () => {
  const setup = () => {
    const engine = createMemoryEventStore();
    const chain = chained(engine);
    const keys = memoryKeys();
    return { engine, chain, keys, store: sealed(chain, keys) };
  };
  const write = async (store: ReturnType<typeof setup>['store']): Promise<void> => {
    await store.append(
      'user-dora',
      [
        ev(1, 'ContactPointsChanged', { uid: 'dora', email: 'dora@x.example', cell: '+4915112345678' }),
        ev(2, 'DeviceEnlisted', { uid: 'dora', deviceId: 'd1', device }),
        ev(3, 'UserAttributesChanged', { uid: 'dora', attributes: { real_name: 'Dora' } }),
        ev(6, 'TimePreferencesChanged', {
          uid: 'dora',
          timezone: 'Pacific/Chatham',
          quietHours: { from: '21:45', to: '06:15' },
        }),
      ],
      'no_stream',
    );
    const published = {
      mid: 'm1',
      from: 'root',
      audience: { kind: 'user', uid: 'dora' },
      msg: 'secret text',
      opts: { ttl: 60 },
      urgency: 3,
      at: '2026-01-01T00:00:00.000Z',
      subject: 'hidden-topic-xyz',
    };
    await store.append('message-m1', [ev(4, 'MessagePublished', published)], 'no_stream');
    await store.append(
      'message-m2',
      [
        ev(5, 'MessagePublished', {
          ...published,
          mid: 'm2',
          audience: { kind: 'thread', tid: 't' },
          msg: 'club',
          subject: 'club news',
        }),
      ],
      'no_stream',
    );
  };

  it('stores personal fields sealed, reads them opened, and leaves others plain', async () => {
    const { engine, store } = setup();
    await write(store);
    const raw = JSON.stringify(await engine.readAll({ limit: 100 }));
    for (const secret of [
      'dora@x.example',
      '+4915112345678',
      'tok-secret-123',
      'Dora',
      'secret text',
      'hidden-topic-xyz',
      'Pacific/Chatham',
      '21:45',
    ])
      expect(raw).not.toContain(secret);
    expect(raw).toContain('club');
    const read = await store.readAll({ limit: 100 });
    expect(read.map((e) => e.data)).toMatchObject([
      { email: 'dora@x.example', cell: '+4915112345678' },
      { device },
      { attributes: { real_name: 'Dora' } },
      { timezone: 'Pacific/Chatham', quietHours: { from: '21:45', to: '06:15' } },
      { msg: 'secret text', subject: 'hidden-topic-xyz', opts: { ttl: 60 } },
      { msg: 'club' },
    ]);
    for (const e of read) expect(DomainEvent.is({ type: e.type, data: e.data })).toBe(true);
  });

  it('after forget: every sealed field reads as its decodable redaction, named in `redacted`; the chain verifies', async () => {
    const { chain, keys, store } = setup();
    await write(store);
    expect(await store.forget('dora')).toBe(1);
    expect(keys.rows.has('dora')).toBe(false);
    const read = await store.readAll({ limit: 100 });
    expect(read.map((e) => e.data)).toMatchObject([
      { email: null, cell: null, redacted: ['email', 'cell'] },
      { device: { endpoint: 'https://erased.invalid/' }, redacted: ['device'] },
      { attributes: {}, redacted: ['attributes'] },
      { timezone: null, quietHours: null, redacted: ['timezone', 'quietHours'] },
      { msg: ERASED_TEXT, subject: '', opts: {}, redacted: ['msg', 'subject', 'opts'] },
      { msg: 'club' },
    ]);
    for (const e of read) expect(DomainEvent.decode({ type: e.type, data: e.data })._tag).toBe('Right');
    expect((await verifyLog(chain)).failure).toBeUndefined();
  });

  it('a node that still holds the key in memory drops it when it reads UserErased', async () => {
    const { chain, keys, store } = setup();
    await write(store);
    const other = sealed(chain, keys);
    expect((await other.read('user-dora'))[0]?.data).toMatchObject({ email: 'dora@x.example' });
    await keys.destroy('dora'); // destroyed by another node: this one still has it cached
    expect((await other.read('user-dora'))[0]?.data).toMatchObject({ email: 'dora@x.example' });
    await store.append('user-dora', [ev(9, 'UserErased', { uid: 'dora' })], 3);
    const after = await other.read('user-dora');
    expect(after[0]?.data).toMatchObject({ email: null, redacted: ['email', 'cell'] });
  });

  it('a replay that meets UserErased again still opens what the user wrote after the erasure', async () => {
    const { keys, store } = setup();
    await write(store);
    await store.forget('dora');
    await store.append('user-dora', [ev(9, 'UserErased', { uid: 'dora' })], 3);
    await store.append('user-dora', [ev(10, 'ContactPointsChanged', { uid: 'dora', email: 'new@x.example' })], 4);
    expect(keys.rows.get('dora')?.size).toBe(1);
    // The first read caches the new key; the second (a rebuild's replay) reads UserErased before it again.
    for (let round = 0; round < 2; round += 1) {
      const read = await store.read('user-dora');
      expect(read[0]?.data).toMatchObject({ email: null, redacted: ['email', 'cell'] });
      expect(read.at(-1)?.data).toEqual({ uid: 'dora', email: 'new@x.example' });
    }
  });

  it('opens an event once for all its readers, and forgets the openings of a user it forgets', async () => {
    const { store } = setup();
    await write(store);
    // Followers woken by one commit read at once: they share the opening under way.
    const [first, second] = await Promise.all([store.readAll({ limit: 100 }), store.readAll({ limit: 100 })]);
    expect(second[0]).toBe(first[0]);
    expect((await store.readAll({ limit: 100 }))[4]).toBe(first[4]);
    expect(second[0]?.data).toMatchObject({ email: 'dora@x.example' });
    await store.forget('dora');
    const after = await store.readAll({ limit: 100 });
    expect(after[0]?.data).toMatchObject({ email: null, redacted: ['email', 'cell'] });
    expect(after[4]?.data).toMatchObject({ msg: ERASED_TEXT, redacted: ['msg', 'subject', 'opts'] });
  });

  it('does not keep an opening whose key look-up straddled an erasure', async () => {
    const { chain, keys, store } = setup();
    await write(store);
    // Another node's reader, whose first key look-up is answered only after the erasure ran.
    let answer: (() => void) | undefined;
    let first = true;
    const slowKeys: KeyStore = {
      ...keys,
      find: async (owner, kid) => {
        const key = await keys.find(owner, kid);
        if (first) {
          first = false;
          await new Promise<void>((resolve) => {
            answer = resolve;
          });
        }
        return key;
      },
    };
    const other = sealed(chain, slowKeys);
    const reading = other.read('user-dora');
    await expect.poll(() => answer).toBeDefined();
    await other.forget('dora');
    answer?.();
    // Read before the erasure ended: it may still be opened for this reader, but for none after.
    await reading;
    const after = await other.read('user-dora');
    expect(after[0]?.data).toMatchObject({ email: null, redacted: ['email', 'cell'] });
  });

  it('reads back what it appended as another process opens it from the log, and not after an erasure', async () => {
    const { chain, keys, store } = setup();
    const published = {
      mid: 'm9',
      from: 'root',
      audience: { kind: 'user', uid: 'dora' },
      msg: 'hello dora',
      opts: { ttl: 60, gone: undefined },
      urgency: 3,
      at: '2026-01-01T00:00:00.000Z',
    };
    await store.append('message-m9', [ev(9, 'MessagePublished', published)], 'no_stream');
    const mine = await store.readAll({ limit: 100 });
    const theirs = await sealed(chain, keys).readAll({ limit: 100 });
    expect(mine).toStrictEqual(theirs);
    expect(mine[0]?.data).toMatchObject({ msg: 'hello dora', opts: { ttl: 60 } });
    await store.forget('dora');
    expect((await store.readAll({ limit: 100 }))[0]?.data).toMatchObject({
      msg: ERASED_TEXT,
      redacted: ['msg', 'opts'],
    });
  });

  it('reads events written before sealing as they are', async () => {
    const { engine, store } = setup();
    await engine.append('user-old', [ev(1, 'ContactPointsChanged', { uid: 'old', email: 'o@x.example' })], 'no_stream');
    expect((await store.read('user-old'))[0]?.data).toEqual({ uid: 'old', email: 'o@x.example' });
  });
});
