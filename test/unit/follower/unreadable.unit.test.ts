import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryCheckpoints } from '../../../adapters/checkpoint/memory.js';
import { sealed } from '../../../adapters/eventstore/sealed.js';
import { toRecordedEvent } from '../../../adapters/eventstore/sqlite-tables.js';
import { createFollower } from '../../../follower/follower.js';
import type { EventStore, RecordedEvent } from '../../../ports/eventstore.js';
import type { Followed } from '../../../ports/follower.js';
import type { KeyStore } from '../../../ports/keystore.js';

// A row of the embedded log edited on disk into text that is not JSON, in a part of the log a
// follower has not passed yet (a new node, a rebuild): the sealed decorator read the row's data
// for the whole page and threw, so every follower's subscription failed at the position before
// that page and was retried for ever (read models, search, triage stuck; /readyz said nothing).
// The row is now a dead letter, named with its position, and the followers go on.

const keys = (): KeyStore => {
  const rows = new Map<string, Uint8Array>();
  return {
    keyFor: (owner) => {
      const key = rows.get(owner) ?? new Uint8Array(randomBytes(32));
      rows.set(owner, key);
      return Promise.resolve({ kid: owner, key });
    },
    find: (owner) => Promise.resolve(rows.get(owner)),
    destroy: () => Promise.resolve(0),
    close: () => Promise.resolve(),
  };
};

const meta = (n: number): string =>
  JSON.stringify({
    eventId: `e-${String(n)}`,
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { uid: 'admin', roles: ['admin'] },
    correlationId: 'c',
    causationId: 'c',
  });
const published = (n: number): { type: string; data: string } => ({
  type: 'MessagePublished',
  data: JSON.stringify({
    mid: `m${String(n)}`,
    from: 'admin',
    audience: { kind: 'thread', tid: 'lobby' },
    msg: `hello ${String(n)}`,
    opts: {},
    urgency: 3,
    at: '2026-01-01T00:00:00.000Z',
  }),
});

/** The rows as the embedded engine reads them back; `edits` replaces a row's stored texts. */
const rows = (edits: Record<number, { type?: string; data?: string; metadata?: string }>): RecordedEvent[] =>
  [1, 2, 3, 4, 5].map((position) => {
    const e = { ...published(position), metadata: meta(position), ...edits[position] };
    return toRecordedEvent({ position, stream: `message-m${String(position)}`, revision: 0, ...e });
  });

/** A log that hands its whole page to each subscriber, as the SQLite log's shared reads do. */
const logOf = (page: readonly RecordedEvent[]): EventStore =>
  ({
    subscribeAll: (after: number, handler: (events: readonly RecordedEvent[]) => Promise<void>) => {
      void handler(page.filter((e) => e.position > after));
      return { close: () => Promise.resolve() };
    },
  }) as unknown as EventStore;

const follow = async (page: readonly RecordedEvent[]) => {
  const seen: Followed[] = [];
  const checkpoints = createMemoryCheckpoints();
  const errors: unknown[] = [];
  const f = createFollower({
    name: 'read-models',
    store: sealed(logOf(page), keys()),
    from: 0,
    checkpoints,
    now: () => '2026-01-01T00:00:01.000Z',
    retry: { firstMs: 1, maxMs: 1 },
    onFailure: (e) => errors.push(e),
    handler: {
      handle: (events) => {
        seen.push(...(events as Followed[]));
        return undefined;
      },
    },
  });
  f.start();
  for (let i = 0; i < 200 && f.position() < 5; i += 1) await new Promise((r) => setTimeout(r, 5));
  await f.stop();
  return { f, seen, errors, dead: await checkpoints.deadLetters() };
};

describe('an event whose stored bytes are not JSON', () => {
  it.each([
    ['data', { data: '{not json' }],
    ['metadata', { metadata: 'xx' }],
    ['the data of an erasure', { type: 'UserErased', data: '{"uid":' }],
  ])('its %s: the follower quarantines it and applies every other event', async (_, edit) => {
    const { f, seen, errors, dead } = await follow(rows({ 3: edit }));
    expect(errors).toEqual([]);
    expect(f.position()).toBe(5);
    expect(f.health().stalled).toBeNull();
    expect(seen.map((e) => e.position)).toEqual([1, 2, 4, 5]);
    expect(dead.map((d) => [d.follower, d.position, d.stream])).toEqual([['read-models', 3, 'message-m3']]);
    expect(dead[0]?.reason).toMatch(/^unreadable: the stored (data|metadata) of the event at position 3 is not JSON/);
  });

  it('the reason shows the control characters of the row escaped, not raw', async () => {
    const { dead } = await follow(rows({ 2: { data: '\u001b[2K\rOK \u202e' } }));
    expect(dead[0]?.reason).toContain('\\u001b');
    expect(dead[0]?.reason).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });
});
