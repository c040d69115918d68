import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chained } from '../../../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { createSqliteEventStore } from '../../../adapters/eventstore/sqlite.js';
import { verifyLog } from '../../../adapters/eventstore/verify.js';
import type { EventStore } from '../../../ports/eventstore.js';
import { CHECKPOINT_STREAM, type LogCheckpointed } from '../../../schema/audit.js';
import { numberedEvent } from './numbered-event.js';

// What a checkpoint reads (issue 15: ~3 % of the main thread under sends): on SQLite, the
// events' links (position and metadata), not every event whole, with the very lines the whole
// events give (an unchained event and one whose link is no string read whole); and the
// checkpoint stream from the last checkpoint seen, not from its start each time.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const fresh = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-checkpoint-reads-'));
  dirs.push(dir);
  return join(dir, 'events.db');
};

/** `readAll` counted, the rest of the engine as it is (its `links` included). */
const counted = <S extends EventStore>(store: S) => {
  const reads = { all: 0, stream: [] as number[] };
  const wrapped: S = {
    ...store,
    readAll: async (o) => {
      const page = await store.readAll(o);
      reads.all += page.length;
      return page;
    },
    read: async (stream, o) => {
      const page = await store.read(stream, o);
      if (stream === CHECKPOINT_STREAM) reads.stream.push(page.length);
      return page;
    },
  };
  return { store: wrapped, reads };
};

describe('a checkpoint', () => {
  it('reads the links of chained events on SQLite, and hashes what the whole events hash', async () => {
    const engine = createSqliteEventStore({ file: fresh() });
    try {
      // Before the chain: no link, read whole. A link whose hash is no string: read whole too.
      await engine.append('old', [numberedEvent(0)], 'no_stream');
      await engine.append(
        'odd',
        [{ ...numberedEvent(1), metadata: { ...numberedEvent(1).metadata, chain: { prev: 'x', hash: 7 } as never } }],
        'no_stream',
      );
      const { store, reads } = counted(engine);
      const log = chained(store);
      for (let i = 2; i < 40; i++) await log.append(`s-${String(i % 5)}`, [numberedEvent(i)], 'any');
      await log.checkpoint();
      expect(reads.all).toBe(2);
      const [mine] = (await engine.read(CHECKPOINT_STREAM)).map((e) => e.data as LogCheckpointed);

      // The same log hashed from whole events (an engine without links) gives the same checkpoint.
      const copy = createMemoryEventStore();
      for (const e of await engine.readAll({ limit: 1000 }))
        if (e.stream !== CHECKPOINT_STREAM) await copy.append(e.stream, [e], 'any');
      await chained(copy).checkpoint();
      const [theirs] = (await copy.read(CHECKPOINT_STREAM)).map((e) => e.data as LogCheckpointed);
      expect(mine).toEqual(theirs);
      expect(mine?.events).toBe(40);
    } finally {
      await engine.close();
    }
  });

  it('reads the checkpoint stream on from the last checkpoint it saw', async () => {
    const { store, reads } = counted(createMemoryEventStore());
    const log = chained(store);
    for (let i = 0; i < 6; i++) {
      await log.append(`s-${String(i)}`, [numberedEvent(i)], 'no_stream');
      await log.checkpoint();
    }
    // 0 checkpoints, then the last one seen (and the one after it once written), not all six.
    expect(reads.stream).toEqual([0, 1, 1, 1, 1, 1]);
    expect(await store.read(CHECKPOINT_STREAM)).toHaveLength(6);
    expect((await verifyLog(store)).failure).toBeUndefined();
  });
});
