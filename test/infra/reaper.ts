// Keeps test servers from outliving the run that started them.
// - In-process: every started server is tracked; on exit or a fatal signal the whole
//   process group is killed synchronously and its run folder removed.
// - Across runs: a run killed with SIGKILL cannot clean up, so each run folder holds an
//   owner file per server; reapOrphans() kills servers whose owning process is gone.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tracked = new Map<number, string>();
let handlersInstalled = false;

const ownerFile = (dir: string, pid: number): string => join(dir, `.msgxc-infra-owner-${pid}`);

export const track = (pid: number, runDir: string): void => {
  tracked.set(pid, runDir);
  writeFileSync(ownerFile(runDir, pid), String(process.pid));
};

export const forget = (pid: number): void => {
  const dir = tracked.get(pid);
  tracked.delete(pid);
  if (dir !== undefined) rmSync(ownerFile(dir, pid), { force: true });
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM means it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const killGroupNow = (pid: number): void => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
};

const killAllNow = (): void => {
  const dirs = new Set(tracked.values());
  for (const pid of tracked.keys()) killGroupNow(pid);
  tracked.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
};

/**
 * Idempotent: on exit and on SIGINT/SIGTERM/SIGHUP, kill whatever is still tracked.
 * Prepended, because vitest's own listeners call process.exit() from inside its 'exit' and
 * signal handlers, which ends the process before any listener registered after them runs.
 */
export const installExitHandlers = (): void => {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.prependOnceListener('exit', killAllNow);
  const codes: readonly (readonly [NodeJS.Signals, number])[] = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ];
  for (const [signal, code] of codes) {
    process.prependOnceListener(signal, () => {
      killAllNow();
      // Leave the exit to the host (vitest) if it listens too; otherwise exit as the
      // default handler would have.
      if (process.listenerCount(signal) === 0) process.exit(code);
    });
  }
};

// PIDs are reused: only kill a process that still names the run folder in its command
// line or environment (every server here gets its folder through one of them).
const mentionsDir = (pid: number, dir: string): boolean =>
  ['cmdline', 'environ'].some((f) => {
    try {
      return readFileSync(`/proc/${pid}/${f}`, 'latin1').includes(dir);
    } catch {
      return false;
    }
  });

/** Kills servers left behind by runs that died without cleaning up; returns how many. */
export const reapOrphans = (): number => {
  let reaped = 0;
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    if (!name.startsWith('msgxc-infra-')) continue;
    const dir = join(base, name);
    let entries: string[];
    try {
      entries = readdirSync(dir).filter((f) => f.startsWith('.msgxc-infra-owner-'));
    } catch {
      continue;
    }
    let orphaned = entries.length > 0;
    for (const entry of entries) {
      const pid = Number(entry.slice('.msgxc-infra-owner-'.length));
      const owner = Number(readFileSync(join(dir, entry), 'utf8'));
      if (owner === process.pid || isAlive(owner)) orphaned = false;
      else if (isAlive(pid) && mentionsDir(pid, dir)) {
        killGroupNow(pid);
        reaped += 1;
      }
    }
    if (orphaned) rmSync(dir, { recursive: true, force: true });
  }
  return reaped;
};
