import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog } from '../../adapters/eventstore/audit-log.js';
import { chained, type ChainedEventStore } from '../../adapters/eventstore/chained.js';
import { verifyLog } from '../../adapters/eventstore/verify.js';
import type { AuditLog, EventStore, EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import { CHECKPOINT_STREAM, GENESIS, UNCHAINED } from '../../schema/audit.js';
import type { EventMetadata } from '../../schema/metadata.js';

// The auditors' log on every engine: filters and stream listing (audit-log.ts), the chain and
// checkpoints (chained.ts, checkpoint.ts), and verify (verify.ts) naming the first event an
// engine-specific `tamper` changed behind the broker's back.
export interface Tamper {
  /** Changes the stored data of the event; absent where no one can (EventStoreDB). */
  alter?(e: RecordedEvent): Promise<void>;
  /** Removes the event from the log; absent where an engine cannot lose one (memory: dense positions). */
  remove?(e: RecordedEvent): Promise<void>;
}

export interface AuditUnderTest {
  readonly store: EventStore;
  readonly tamper: Tamper;
  readonly cleanup: () => Promise<void>;
}

let seq = 0;
const meta = (uid: string, correlationId: string, occurredAt: string): EventMetadata => ({
  eventId: `a-${String(++seq)}`,
  occurredAt,
  actor: { uid, roles: [] },
  correlationId,
  causationId: correlationId,
});
const ev = (type: string, uid: string, corr: string, at: string, data: unknown = { n: seq }): EventToAppend => ({
  type,
  data,
  metadata: meta(uid, corr, at),
});
const T = (minute: number): string => new Date(Date.UTC(2026, 0, 1, 10, minute)).toISOString();

export const auditLogContract = (
  name: string,
  factory: () => Promise<AuditUnderTest>,
  can: { readonly alter: boolean; readonly remove: boolean } = { alter: true, remove: true },
) =>
  describe(`audit log contract: ${name}`, () => {
    let engine: EventStore;
    let store: ChainedEventStore;
    let audit: AuditLog;
    let tamper: Tamper;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store: engine, tamper, cleanup } = await factory());
      store = chained(engine);
      audit = auditLog(engine);
    });
    afterEach(async () => {
      await cleanup();
    });

    // user-alice: 3 events at minutes 0,1,2; thread-t: 2 events; user-bob: 1 (any).
    const seed = async (): Promise<void> => {
      await store.append('user-alice', [ev('UserRecognized', 'alice', 'c1', T(0))], 'no_stream');
      await store.append(
        'thread-t',
        [ev('ThreadCreated', 'alice', 'c2', T(1)), ev('ThreadMemberAdded', 'alice', 'c2', T(1))],
        'no_stream',
      );
      await store.append('user-alice', [ev('DeviceEnlisted', 'alice', 'c3', T(2))], 0);
      await store.append('user-bob', [ev('UserRecognized', 'bob', 'c4', T(3))], 'any');
      await store.append('thread-t', [ev('ThreadMemberAdded', 'bob', 'c4', T(4))], 'stream_exists');
      await store.append('user-alice', [ev('DeviceRevoked', 'admin', 'c5', T(5))], 1);
    };
    const all = async (): Promise<RecordedEvent[]> => [...(await engine.readAll({ after: 0, limit: 1000 }))];
    const scanAll = async (filter: Parameters<AuditLog['scan']>[0]['filter']) =>
      (await audit.scan({ filter, after: 0, limit: 100 })).events.map((e) => `${e.stream}@${String(e.revision)}`);

    it('filters by type, stream prefix, actor, correlation id and time, all given must match', async () => {
      await seed();
      expect(await scanAll({ type: ['UserRecognized'] })).toEqual(['user-alice@0', 'user-bob@0']);
      expect(await scanAll({ stream: 'user-' })).toEqual([
        'user-alice@0',
        'user-alice@1',
        'user-bob@0',
        'user-alice@2',
      ]);
      expect(await scanAll({ actor: 'bob' })).toEqual(['user-bob@0', 'thread-t@2']);
      expect(await scanAll({ correlationId: 'c2' })).toEqual(['thread-t@0', 'thread-t@1']);
      expect(await scanAll({ from: T(2), to: T(4) })).toEqual(['user-alice@1', 'user-bob@0']);
      expect(
        await scanAll({ stream: 'user-alice', actor: 'alice', type: ['DeviceEnlisted', 'DeviceRevoked'] }),
      ).toEqual(['user-alice@1']);
      expect(await scanAll({ actor: 'nobody' })).toEqual([]);
    });

    it('pages by cursor, and a short scan budget answers a short page with a cursor to go on from', async () => {
      await seed();
      const first = await audit.scan({ filter: { stream: 'user-' }, after: 0, limit: 2 });
      expect(first.events.map((e) => e.stream)).toEqual(['user-alice', 'user-alice']);
      const second = await audit.scan({ filter: { stream: 'user-' }, after: first.next ?? -1, limit: 2 });
      expect(second.events.map((e) => `${e.stream}@${String(e.revision)}`)).toEqual(['user-bob@0', 'user-alice@2']);
      const third = await audit.scan({ filter: { stream: 'user-' }, after: second.next ?? -1, limit: 2 });
      expect(third).toEqual({ events: [], next: null });
      const budget = await audit.scan({ filter: { actor: 'admin' }, after: 0, limit: 10, scanLimit: 2 });
      expect(budget.events).toEqual([]);
      expect(budget.next).toBe((await all())[1]?.position);
    });

    it('lists streams in creation order, by prefix, paged', async () => {
      await seed();
      const page = await audit.streams({ after: 0, limit: 2 });
      expect(page.streams.map((s) => s.stream)).toEqual(['user-alice', 'thread-t']);
      expect(page.streams[0]).toMatchObject({ type: 'UserRecognized', createdAt: T(0) });
      const rest = await audit.streams({ after: page.next ?? -1, limit: 2 });
      expect(rest.streams.map((s) => s.stream)).toEqual(['user-bob']);
      expect((await audit.streams({ prefix: 'user-', after: 0, limit: 10 })).streams.map((s) => s.stream)).toEqual([
        'user-alice',
        'user-bob',
      ]);
    });

    it('links every appended event to the previous one of its stream, and verify accepts the log', async () => {
      await seed();
      const alice = await engine.read('user-alice');
      expect(alice[0]?.metadata.chain?.prev).toBe(GENESIS);
      expect(alice[1]?.metadata.chain?.prev).toBe(alice[0]?.metadata.chain?.hash);
      expect(alice[2]?.metadata.chain?.prev).toBe(alice[1]?.metadata.chain?.hash);
      await store.checkpoint();
      await store.append('user-bob', [ev('DeviceEnlisted', 'bob', 'c6', T(6))], 0);
      await store.checkpoint();
      const checkpoints = await engine.read(CHECKPOINT_STREAM);
      expect(checkpoints).toHaveLength(2);
      const report = await verifyLog(engine);
      expect(report.failure).toBeUndefined();
      expect(report).toMatchObject({ events: 10, streams: 4, chained: 10, unchained: 0, checkpoints: 2 });
    });

    it('accepts events from before the chain, links after them, and refuses a link stripped later', async () => {
      // An older broker's events: appended to the engine itself, without links.
      await engine.append('user-old', [ev('UserRecognized', 'old', 'c0', T(0))], 'no_stream');
      await engine.append('thread-old', [ev('ThreadCreated', 'old', 'c0', T(0))], 'no_stream');
      await store.append('user-old', [ev('DeviceEnlisted', 'old', 'c1', T(1))], 0);
      const [, linked] = await engine.read('user-old');
      expect(linked?.metadata.chain?.prev).toBe(UNCHAINED);
      await store.checkpoint();
      const report = await verifyLog(engine);
      expect(report.failure).toBeUndefined();
      expect(report).toMatchObject({ chained: 2, unchained: 2, checkpoints: 1 });
      // After the chain began, an event without a link is one whose link was removed.
      await engine.append('thread-old', [ev('ThreadMemberAdded', 'old', 'c2', T(2))], 0);
      expect((await verifyLog(engine)).failure).toMatchObject({ kind: 'unlinked', stream: 'thread-old', revision: 1 });
    });

    // Registered only where the engine can be tampered with that way (no skipped tests).
    const alteration = can.alter ? it : () => undefined;
    const removal = can.remove ? it : () => undefined;
    const alter = async (e: RecordedEvent): Promise<void> => {
      if (tamper.alter === undefined) throw new Error(`${name} cannot alter events`);
      await tamper.alter(e);
    };
    const remove = async (e: RecordedEvent): Promise<void> => {
      if (tamper.remove === undefined) throw new Error(`${name} cannot remove events`);
      await tamper.remove(e);
    };

    alteration('verify names the event whose stored data was changed', async () => {
      await seed();
      const target = (await engine.read('user-alice'))[1];
      if (target === undefined) throw new Error('seeded');
      await alter(target);
      const report = await verifyLog(engine);
      expect(report.failure).toMatchObject({ kind: 'altered', stream: 'user-alice', revision: 1 });
    });

    removal('verify names the event after one removed from the middle of its stream', async () => {
      await seed();
      const target = (await engine.read('user-alice'))[1];
      if (target === undefined) throw new Error('seeded');
      await remove(target);
      const report = await verifyLog(engine);
      expect(report.failure).toMatchObject({ kind: 'removed', stream: 'user-alice', revision: 2 });
    });

    removal('a checkpoint catches the removal of the last event of a stream, which no link can', async () => {
      await seed();
      await store.checkpoint();
      const target = (await engine.read('user-bob'))[0];
      if (target === undefined) throw new Error('seeded');
      await remove(target);
      const report = await verifyLog(engine);
      expect(report.failure).toMatchObject({ kind: 'checkpoint', stream: CHECKPOINT_STREAM });
      expect(report.failure?.message).toContain('1 event(s)');
    });
  });
