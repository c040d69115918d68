import type { ProjectionRunner, ProjectionStatus, RebuildReport } from '../ports/projections.js';

// Several projections (read models, search) behind one runner: the API waits for all of them,
// status lists each, and a rebuild rebuilds them one after the other. Progress is reported
// against the sum of their work, so a progress bar moves once from 0 to 100 %.
export const combineRunners = (runners: readonly ProjectionRunner[]): ProjectionRunner => ({
  start: () => {
    for (const r of runners) r.start();
  },
  status: (): readonly ProjectionStatus[] => runners.flatMap((r) => r.status()),
  waitFor: async (position, timeoutMs) => {
    await Promise.all(runners.map((r) => r.waitFor(position, timeoutMs)));
  },
  rebuild: async (onProgress, options): Promise<RebuildReport> => {
    let done = 0;
    let replayed = 0;
    for (const r of runners) {
      let head = 0;
      const report = await r.rebuild((position, h) => {
        head = h;
        onProgress?.(done + position, h * runners.length);
      }, options);
      done += head;
      replayed += report.replayed;
    }
    return { replayed };
  },
  deadLetters: async () => (await Promise.all(runners.map((r) => r.deadLetters()))).flat(),
  wouldSkip: async () => (await Promise.all(runners.map((r) => r.wouldSkip()))).flat(),
  stop: async () => {
    await Promise.all(runners.map((r) => r.stop()));
  },
});
