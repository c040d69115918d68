import { writeFileSync } from 'node:fs';

// Names the calling thread as `top -H` and /proc/<pid>/task/<tid>/comm show it (Linux; at most
// 15 bytes), so that CPU per thread can be told apart (bench/send-cpu.ts): every worker thread is
// otherwise called "node". Elsewhere, or if /proc is not writable, the name stays as it was.
export const nameThread = (name: string): void => {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // not Linux, or /proc not mounted: a diagnostic only
  }
};
