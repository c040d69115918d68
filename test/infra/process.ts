// Process plumbing shared by the server start helpers: free ports, private run folders,
// spawning with the output in a log file, waiting for readiness, stopping by PID.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { forget, track } from './reaper.js';

export const HOST = '127.0.0.1';

/** A free TCP port on 127.0.0.1, found by binding port 0 and releasing it. */
export const freePort = async (): Promise<number> => (await freePorts(1))[0] ?? 0;

/**
 * `count` distinct free ports. All are held open until every one is chosen: ports asked for
 * one after another can repeat (a closed port may be handed out again at once), and a NATS
 * cluster whose monitor port was another node's route port never forms.
 */
export const freePorts = async (count: number): Promise<number[]> => {
  // Servers start concurrently in one process, each asking for ports before it binds them: a
  // port released here can be handed out again to the next caller before its server binds it
  // (a Cassandra once got a NATS node's monitor port). Ports this process handed out are not
  // handed out again.
  for (let attempt = 0; ; attempt += 1) {
    const ports = await heldPorts(count);
    if (attempt < 20 && ports.some((p) => handedOut.has(p))) continue;
    for (const p of ports) handedOut.add(p);
    return ports;
  }
};
const handedOut = new Set<number>();

const heldPorts = async (count: number): Promise<number[]> => {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, HOST, () => {
              const address = server.address();
              resolve(typeof address === 'object' && address !== null ? address.port : 0);
            });
          }),
      ),
    );
  } finally {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.listening)
              s.close(() => {
                resolve();
              });
            else resolve();
          }),
      ),
    );
  }
};

/** A fresh folder under the OS temp dir, named msgxc-infra-<name>-XXXXXX. */
export const makeRunDir = (name: string): Promise<string> => mkdtemp(join(tmpdir(), `msgxc-infra-${name}-`));

export interface SpawnSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly runDir: string;
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly uid?: number;
  readonly gid?: number;
}

export interface Spawned {
  readonly pid: number;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<string>;
  /** Undefined while running. */
  exitStatus(): string | undefined;
}

/**
 * Starts a server as the leader of its own process group (so that launcher scripts and the
 * JVMs they fork can be stopped together), appending stdout and stderr to its log file.
 */
export const spawnServer = (spec: SpawnSpec): Spawned => {
  const fd = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd ?? spec.runDir,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
    ...(spec.uid === undefined ? {} : { uid: spec.uid }),
    ...(spec.gid === undefined ? {} : { gid: spec.gid }),
  });
  closeSync(fd);
  const { pid } = child;
  if (pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  let status: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      status = signal ?? String(code);
      forget(pid);
      resolve(status);
    });
  });
  child.unref();
  track(pid, spec.runDir);
  return { pid, exited, exitStatus: () => status };
};

interface Member {
  readonly pid: number;
  readonly state: string;
  readonly rssKb: number;
}

/** The processes of the group led by pid, from /proc (Linux). */
const groupMembers = async (pid: number): Promise<Member[]> => {
  const members: Member[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pid) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    members.push({
      pid: Number(entry),
      state: fields[0] ?? '',
      rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
    });
  }
  return members;
};

// Zombies do not count: a JVM that a launcher forked is re-parented when the launcher dies,
// and where PID 1 does not reap (some sandboxes), its zombie would otherwise wait forever.
const groupIsAlive = async (pid: number): Promise<boolean> => (await groupMembers(pid)).some((m) => m.state !== 'Z');

/** Resident memory (kB) of every process in the group led by pid. */
export const groupRssKb = async (pid: number): Promise<number> =>
  (await groupMembers(pid)).reduce((sum, m) => sum + m.rssKb, 0);

const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
};

/** SIGTERM to the whole process group, then SIGKILL if it is still there after timeoutMs. */
export const stopGroup = async (pid: number, timeoutMs = 15_000): Promise<void> => {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while ((await groupIsAlive(pid)) && Date.now() < deadline) await sleep(100);
  if (await groupIsAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    const killDeadline = Date.now() + 10_000;
    while ((await groupIsAlive(pid)) && Date.now() < killDeadline) await sleep(50);
  }
  forget(pid);
};

export const removeDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });

export const tailOf = async (file: string, lines = 40): Promise<string> => {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
};

export interface WaitSpec {
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly process: Spawned;
  readonly logFile: string;
}

/**
 * Polls probe until it returns a value. Fails early, with the end of the log, when the
 * server process exits or the time is up, so a broken start is diagnosable from the error.
 */
const withinMs = <T>(p: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined);
    }, ms);
  });
  return Promise.race([p, late]).finally(() => {
    clearTimeout(timer);
  });
};

export const waitFor = async <T>(spec: WaitSpec, probe: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + spec.timeoutMs;
  for (;;) {
    const status = spec.process.exitStatus();
    if (status !== undefined) {
      const tail = await tailOf(spec.logFile);
      throw new Error(`${spec.what}: process exited (${status}) before it was ready; log ${spec.logFile}:\n${tail}`);
    }
    // A probe that never answers (a port another server took, speaking another protocol) must
    // not hold the wait past the process's exit or the deadline: each try is bounded.
    const value = await withinMs(probe(), Math.min(10_000, spec.timeoutMs)).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const tail = await tailOf(spec.logFile);
      throw new Error(`${spec.what}: not ready after ${spec.timeoutMs} ms; log ${spec.logFile}:\n${tail}`);
    }
    await sleep(spec.intervalMs ?? 250);
  }
};

export const writeText = (file: string, text: string): Promise<void> => writeFile(file, text, 'utf8');
