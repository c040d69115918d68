import type { CheckpointStore, DeadLetter, Progress } from '../../ports/follower.js';

// Checkpoints in memory: for tests, benchmarks and followers whose state is rebuilt on start.
export const createMemoryCheckpoints = (): CheckpointStore => {
  const positions = new Map<string, number>();
  const dead = new Map<string, DeadLetter>();
  const save = (name: string, p: Progress): void => {
    positions.set(name, p.position);
    for (const d of p.deadLetters) dead.set(`${d.follower}\u0000${d.position}`, d);
  };
  return {
    read: (name) => Promise.resolve(positions.get(name) ?? 0),
    commit: async (name, work) => {
      const r = await work();
      save(name, r);
      return r;
    },
    write: (name, position) => {
      positions.set(name, position);
      return Promise.resolve();
    },
    deadLetters: (follower) =>
      Promise.resolve(
        [...dead.values()]
          .filter((d) => follower === undefined || d.follower === follower)
          .sort((a, b) => a.follower.localeCompare(b.follower) || a.position - b.position),
      ),
  };
};
