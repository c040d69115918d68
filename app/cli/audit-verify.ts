import type { EventStore } from '../../ports/eventstore.js';
import { verifyLog, type VerifyReport } from '../../adapters/eventstore/verify.js';
import { escapeControls } from '../../schema/unreadable-event.js';
import { progressLine } from './progress.js';

// `msgxc audit verify`: recomputes the chain and the checkpoints (adapters/eventstore/verify.ts)
// and says what it checked, or the first event that does not fit. What it proves: docs/audit.md.
export const describeReport = (r: VerifyReport): string => {
  const lines = [
    `read ${String(r.events)} events in ${String(r.streams)} streams up to position ${String(r.head)}: ` +
      `${String(r.chained)} linked, ${String(r.unchained)} from before the chain (checked by checkpoints only)`,
    r.lastCheckpoint !== undefined
      ? `${String(r.checkpoints)} checkpoints; the last covers positions up to ${String(r.lastCheckpoint.upTo)}: ${r.lastCheckpoint.hash}`
      : 'no checkpoint yet (`msgxc audit checkpoint` writes one)',
    r.failure !== undefined ? `FAILED ${r.failure.message}` : 'OK: every link and checkpoint matches',
  ];
  return `${lines.join('\n')}\n`;
};

export const verifyCommand = async (store: Pick<EventStore, 'readAll' | 'head'>, json: boolean): Promise<number> => {
  const head = await store.head();
  const progress = progressLine(process.stderr, 'positions');
  const report = await verifyLog(store, (position) => {
    progress.draw(position, head, position);
  });
  progress.draw(report.head, head, report.head, true);
  // JSON escapes C0 controls but not C1 or bidirectional overrides (a stream name altered on
  // disk may hold them): escaped too, as the JSON escapes they are, so the report reads the same.
  process.stdout.write(json ? `${escapeControls(JSON.stringify(report))}\n` : describeReport(report));
  return report.failure === undefined ? 0 : 1;
};
