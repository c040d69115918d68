import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sealed } from '../../../adapters/eventstore/sealed.js';
import { createSqliteEventStore } from '../../../adapters/eventstore/sqlite.js';
import type { EventToAppend } from '../../../ports/eventstore.js';
import { memoryKeys } from './memory-keys.js';

// What this process sealed it reads back without opening it (sealed-cache.ts `wrote`): the data
// it appended as the log's JSON gives it back, built from the log's data and the sealed fields'
// plain values (issue 15: the whole data was written and parsed again at each append). It must
// be, to the order of the keys, what another process opening the same event reads.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const published: EventToAppend = {
  type: 'MessagePublished',
  data: {
    mid: 'm1',
    from: 'root',
    gone: undefined,
    audience: { kind: 'user', uid: 'dora' },
    msg: 'secret \ud800 text',
    subject: 'a subject',
    opts: { when: new Date(0), nested: { list: [1, undefined, 'x'] }, skipped: undefined },
    urgency: 3,
    at: new Date('2026-01-01T00:00:00.000Z'),
  },
  metadata: {
    eventId: 'e1',
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { uid: 'root', roles: ['admin'] },
    correlationId: 'c1',
    causationId: 'c1',
  },
};

describe('an event this process sealed, read back here', () => {
  it('is what another process opens from the log, key for key and in the same order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msgxc-sealed-written-'));
    dirs.push(dir);
    const engine = createSqliteEventStore({ file: join(dir, 'events.db') });
    const keys = memoryKeys();
    const mine = sealed(engine, keys);
    const other = sealed(engine, keys);
    try {
      const r = await mine.append('message-m1', [published], 'no_stream');
      expect(r.kind).toBe('appended');
      const [here] = await mine.readAll({ limit: 10 });
      const [there] = await other.readAll({ limit: 10 });
      // Sealed in the log; opened alike.
      const [raw] = await engine.readAll({ limit: 10 });
      expect((raw?.data as { msg: unknown }).msg).toMatchObject({ enc: 'v1' });
      expect(here?.data).toStrictEqual(there?.data);
      expect(JSON.stringify(here?.data)).toBe(JSON.stringify(there?.data));
      expect(here?.data).toStrictEqual(JSON.parse(JSON.stringify(published.data)));
    } finally {
      await engine.close();
    }
  });
});
