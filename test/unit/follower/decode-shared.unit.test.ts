import { describe, expect, it } from 'vitest';
import { toRecordedEvent } from '../../../adapters/eventstore/sqlite-tables.js';
import { decodeBatch } from '../../../follower/decode.js';
import type { RecordedEvent } from '../../../ports/eventstore.js';

// The followers of a thread, handed the same event objects, share each event's decoding
// (follower/decode.ts): every follower's batch must be what a decoding of its own gives, events
// and dead letters alike (an event that does not decode, one of a type the schema does not know,
// one whose bytes cannot be read, a check-in), whichever follower decoded the event first.
const meta = (i: number) => ({
  eventId: `e${String(i)}`,
  occurredAt: '2026-01-01T00:00:00.000Z',
  actor: { uid: 'root', roles: ['admin'] },
  correlationId: `c${String(i)}`,
  causationId: `c${String(i)}`,
});
const row = (position: number, type: string, data: unknown, metadata: unknown = meta(position)) =>
  toRecordedEvent({
    position,
    stream: `s-${String(position)}`,
    revision: 0,
    type,
    data: typeof data === 'string' ? data : JSON.stringify(data),
    metadata: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
  });
const published = {
  mid: 'm1',
  from: 'root',
  audience: { kind: 'user', uid: 'dora' },
  msg: 'hello',
  opts: {},
  urgency: 3,
  at: '2026-01-01T00:00:00.000Z',
};
const log = (): RecordedEvent[] => [
  row(1, 'MessagePublished', published),
  row(2, 'MessagePublished', { ...published, urgency: 'high' }), // does not decode
  row(3, 'NoSuchType', { a: 1 }),
  row(4, 'MessagePublished', '{not json'), // unreadable
  row(5, 'UsersCheckedIn', { node: 'n1', uids: ['dora'], at: '2026-01-01T00:00:00.000Z' }),
  row(6, 'MessagePublished', { ...published, mid: 'm2' }, { ...meta(6), actor: 'nobody' }), // bad metadata
  row(7, 'ThreadMemberAdded', {
    tid: 't1',
    uid: 'dora',
    role: 'subscriber',
    by: 'root',
    at: '2026-01-01T00:00:00.000Z',
  }),
];
const now = () => '2026-01-01T00:00:00.000Z';
const followers: [string, ReadonlySet<string> | undefined][] = [
  ['live', new Set(['MessagePublished', 'ThreadMemberAdded'])],
  ['presence', new Set(['UsersCheckedIn', 'MessagePublished'])],
  ['all', undefined],
];

describe('decoding shared between followers', () => {
  it('gives each follower what its own decoding gives, whoever decoded an event first', () => {
    const shared = log();
    for (const order of [followers, [...followers].reverse()]) {
      const events = order === followers ? shared : log();
      for (const [name, types] of order) {
        const got = decodeBatch(name, events, 0, types, now);
        // Fresh objects of the same rows: decoded anew.
        const own = decodeBatch(name, log(), 0, types, now);
        expect(got).toEqual(own);
        expect(got.dead.length + got.events.length).toBeGreaterThan(0);
      }
    }
  });

  it('hands the followers the same decoded event for the same event object', () => {
    const events = log();
    const a = decodeBatch('a', events, 0, new Set(['MessagePublished']), now);
    const b = decodeBatch('b', events, 0, undefined, now);
    const [first] = a.events;
    expect(first?.position).toBe(1);
    expect(b.events.find((f) => f.position === 1)).toBe(first);
    // Another object of the same row is decoded on its own, to an equal answer.
    const c = decodeBatch('c', log(), 0, new Set(['MessagePublished']), now);
    expect(c.events[0]).not.toBe(first);
    expect(c.events[0]).toEqual(first);
  });

  it('keeps no answer for an event whose reading threw (not an unreadable event): the next follower reads it again', () => {
    let calls = 0;
    const flaky = {
      stream: 's-1',
      revision: 0,
      position: 1,
      type: 'MessagePublished',
      get data() {
        calls += 1;
        if (calls === 1) throw new Error('engine failure');
        return published;
      },
      metadata: meta(1),
    } as RecordedEvent;
    expect(() => decodeBatch('a', [flaky], 0, undefined, now)).toThrow('engine failure');
    expect(decodeBatch('b', [flaky], 0, undefined, now).events.map((f) => f.position)).toEqual([1]);
  });
});
