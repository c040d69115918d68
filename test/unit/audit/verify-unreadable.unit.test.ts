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

// What verify prints is read on a terminal, and parts of it come from the file: a parser's quote
// of the row, a stream name. Raw, a row of `ESC[2K CR "OK: every link..."` erased the FAILED line
// it stood in and wrote OK over it; a right-to-left override reversed what followed it.
describe('verify prints what the file holds with its control characters escaped', () => {
  it('a row whose text would rewrite the terminal line', async () => {
    const report = await verifyLog(await tampered(3, { data: '\u001b[2K\rOK: every link and checkpoint matches' }));
    expect(report.failure).toMatchObject({ kind: 'altered', position: 3 });
    expect(report.failure?.message).toContain('\\u001b[2K\\u000dOK');
    expect(report.failure?.message).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });

  it('a stream name with C1 controls and a bidirectional override', async () => {
    const engine = createMemoryEventStore();
    const store = chained(engine);
    await store.append('s\u009b2J\u202eKO', [ev(0)], 'any');
    const [e] = await engine.readAll({ after: 0, limit: 1 });
    if (e === undefined) throw new Error('appended');
    const forged = { ...e, data: { n: 1 } };
    const report = await verifyLog({ readAll: ({ after }) => Promise.resolve(after === 0 ? [forged] : []) });
    expect(report.failure?.kind).toBe('altered');
    expect(report.failure?.message).toContain('s\\u009b2J\\u202eKO');
    expect(report.failure?.message).not.toMatch(/[\u009b\u202e]/);
  });
});
