import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

// Lowers the calling thread's CPU priority (Linux: its nice value). On Linux a thread is a task
// with an id of its own, which /proc/thread-self names, and setpriority() given that id sets the
// one thread's nice value, not the process's. A worker whose work can wait a few milliseconds
// (the search projection) then takes a core from the thread that fans out, the log's writer
// and the HTTP path only when they leave it idle. Raising a nice value needs no privilege.
// Elsewhere, or if /proc is not mounted, the thread keeps its priority: answers false.
export const lowerThreadPriority = (nice: number): boolean => {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
};
