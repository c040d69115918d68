import { join } from 'node:path';
import type { Config } from '../../schema/config.js';
import type { DeadLetter } from '../../ports/follower.js';
import { openLog } from '../engines.js';
import { openEmbeddedReadStore } from '../read-stores.js';

// `msgxc rebuild [--allow-skips]`: with the broker stopped, build the embedded read models anew
// from the whole log beside the live file, showing progress, and swap them in. (A running
// broker rebuilds from the admin UI.) It refuses to skip undecodable events unless told to.

/** The rebuild would skip undecodable events and was not told it may. */
export class RefusedToSkip extends Error {
  constructor(readonly skips: readonly DeadLetter[]) {
    const positions = [...new Set(skips.map((d) => d.position))].sort((a, b) => a - b);
    super(
      `the rebuild would skip ${positions.length} undecodable event(s) at position(s) ` +
        `${positions.slice(0, 20).join(', ')}${positions.length > 20 ? ', ...' : ''}:\n` +
        skips
          .slice(0, 20)
          .map((d) => `  ${d.position} ${d.stream} ${d.type}: ${d.reason}`)
          .join('\n') +
        '\nrun `msgxc rebuild --allow-skips` to rebuild without them',
    );
    this.name = 'RefusedToSkip';
  }
}

export const rebuildOffline = async (
  config: Config,
  args: readonly string[] = [],
  out: NodeJS.WriteStream = process.stderr,
): Promise<number> => {
  if (config.eventStore !== 'embedded')
    throw new Error('msgxc rebuild works on the embedded store; use the admin UI of a running broker otherwise');
  const unknown = args.filter((a) => a !== '--allow-skips');
  if (unknown.length > 0)
    throw new Error(`msgxc rebuild: unknown option ${unknown.join(' ')} (expected --allow-skips)`);
  const allowSkips = args.includes('--allow-skips');
  // The log as the node reads it: personal fields opened with their keys (a sealed field is
  // not what the read models' codecs accept; an erased user's come back redacted).
  const log = await openLog(config);
  const store = log.store;
  const read = openEmbeddedReadStore({ file: join(config.dataDir, 'read.db'), store });
  const started = Date.now();
  let lastDraw = 0;
  try {
    await read.runner.ready();
    const skips = allowSkips ? [] : await read.runner.wouldSkip();
    if (skips.length > 0) throw new RefusedToSkip(skips);
    const { replayed } = await read.runner.rebuild(
      (position, head) => {
        const now = Date.now();
        if (now - lastDraw < 200 && position < head) return;
        lastDraw = now;
        const pct = head === 0 ? 100 : (100 * position) / head;
        const rate = position / Math.max(0.001, (now - started) / 1000);
        const bar = '#'.repeat(Math.round(pct / 4)).padEnd(25, '.');
        out.write(`\r[${bar}] ${pct.toFixed(1)}%  ${position}/${head} events  ${Math.round(rate)} events/s `);
      },
      { allowSkips },
    );
    out.write(`\nrebuilt the read models from ${replayed} events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const dead = await read.runner.deadLetters();
    if (dead.length > 0) out.write(`skipped ${dead.length} undecodable event(s), recorded as dead letters\n`);
    return replayed;
  } finally {
    await read.close();
    await store.close();
  }
};
