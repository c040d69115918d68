// Runs the idempotent install scripts beside this file; each prints one answer on its last
// stdout line (a binary path or an install folder), so the paths live in one place.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// nats: Debian's nats-server (2.9); nats-current: the release in versions.env, built with Go.
export type Installable = 'nats' | 'nats-current' | 'cassandra' | 'elasticsearch';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);
const answers = new Map<Installable, Promise<string>>();

const install = async (what: Installable): Promise<string> => {
  const script = join(here, `install-${what}.sh`);
  // The first install downloads ~100 MB from Maven Central, or builds nats-server with Go
  // (about a minute on 2 cores, but 15 minutes were not enough on a machine at load 30); allow
  // it time: a slow first install costs minutes, a killed one fails the whole run.
  const { stdout } = await run('bash', [script], { timeout: 40 * 60_000, maxBuffer: 1 << 20 });
  const answer = stdout.trim().split('\n').pop();
  if (answer === undefined || answer === '') throw new Error(`${script} printed no path`);
  return answer;
};

/** The binary path (nats, nats-current) or install folder (cassandra, elasticsearch); installs if missing. */
export const ensureInstalled = (what: Installable): Promise<string> => {
  let answer = answers.get(what);
  if (answer === undefined) {
    answer = install(what);
    answers.set(what, answer);
    answer.catch(() => answers.delete(what));
  }
  return answer;
};
