import { join } from 'node:path';
import type { Config } from '../../schema/config.js';
import { createSqliteEventStore } from '../../adapters/eventstore/sqlite.js';
import { openEmbeddedReadStore } from '../../projections/embedded.js';

// `msgxc rebuild`: with the broker stopped, drop the embedded read models and replay the
// whole log into them, showing progress. (A running broker rebuilds from the admin UI.)
export const rebuildOffline = async (config: Config, out: NodeJS.WriteStream = process.stderr): Promise<number> => {
  if (config.eventStore !== 'embedded')
    throw new Error('msgxc rebuild works on the embedded store; use the admin UI of a running broker otherwise');
  const store = createSqliteEventStore({ file: join(config.dataDir, 'events.db') });
  const read = openEmbeddedReadStore({ file: join(config.dataDir, 'read.db'), store });
  const started = Date.now();
  let lastDraw = 0;
  try {
    const { replayed } = await read.runner.rebuild((position, head) => {
      const now = Date.now();
      if (now - lastDraw < 200 && position < head) return;
      lastDraw = now;
      const pct = head === 0 ? 100 : (100 * position) / head;
      const rate = position / Math.max(0.001, (now - started) / 1000);
      const bar = '#'.repeat(Math.round(pct / 4)).padEnd(25, '.');
      out.write(`\r[${bar}] ${pct.toFixed(1)}%  ${position}/${head} events  ${Math.round(rate)} events/s `);
    });
    out.write(`\nrebuilt the read models from ${replayed} events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return replayed;
  } finally {
    await read.close();
    await store.close();
  }
};
