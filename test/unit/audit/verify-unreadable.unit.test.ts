import { describe, expect, it } from 'vitest';
import { chained } from '../../../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { toRecordedEvent } from '../../../adapters/eventstore/sqlite-tables.js';
import { verifyLog } from '../../../adapters/eventstore/verify.js';
import { numberedEvent } from './numbered-event.js';
import type { EventStore, RecordedEvent } from '../../../ports/eventstore.js';

// A row of the embedded log edited on disk into text that is not JSON: `msgxc audit verify`
// answered "msgxc: failed to start: Unexpected token ..." (the embedded engine parses a row's
// data and metadata when they are first read) instead of naming the altered event.
const ev = numberedEvent;

/** The log as the embedded engine reads it back, with the row at `position` stored as `edit` says. */
const tampered = async (
  position: number,
  edit: { data?: string; metadata?: string },
): Promise<Pick<EventStore, 'readAll'>> => {
  const engine = createMemoryEventStore();
  const store = chained(engine);
  for (let i = 0; i < 4; i++) await store.append(`s-${String(i % 2)}`, [ev(i)], 'any');
  const rows = (await engine.readAll({ after: 0, limit: 100 })).map((e) =>
    toRecordedEvent({
      position: e.position,
      stream: e.stream,
      revision: e.revision,
      type: e.type,
      data: e.position === position && edit.data !== undefined ? edit.data : JSON.stringify(e.data),
      metadata: e.position === position && edit.metadata !== undefined ? edit.metadata : JSON.stringify(e.metadata),
    }),
  );
  return {
    readAll: ({ after, limit }: { after: number; limit: number }): Promise<RecordedEvent[]> =>
      Promise.resolve(rows.filter((e) => e.position > after).slice(0, limit)),
  };
};

describe('verify on a log whose rows were edited on disk', () => {
  it('the untouched log verifies', async () => {
    expect((await verifyLog(await tampered(0, {}))).failure).toBeUndefined();
  });

  it.each([
    ['data that is not JSON', { data: 'not json' }, 'cannot be read'],
    ['metadata that is not JSON', { metadata: '{"eventId":' }, 'cannot be read'],
    ['metadata null', { metadata: 'null' }, 'metadata is not a JSON object'],
    ['metadata a list', { metadata: '[1]' }, 'metadata is not a JSON object'],
  ])('%s is an altered event, named by its position', async (_, edit, what) => {
    const report = await verifyLog(await tampered(3, edit));
    expect(report.failure).toMatchObject({ kind: 'altered', position: 3, stream: 's-0', revision: 1 });
    expect(report.failure?.message).toContain(what);
    expect(report.events).toBe(3);
  });
});
