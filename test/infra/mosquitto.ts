// A real Mosquitto broker (Debian's package, 2.0.x) for the MQTT channel's tests: its own
// config file (loopback listener, anonymous clients, no persistence), stopped by PID.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectAsync } from 'mqtt';
import { HOST, freePort, makeRunDir, removeDir, spawnServer, stopGroup, waitFor, writeText } from './process.js';

export interface MosquittoServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  readonly stop: () => Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
let installed: Promise<string> | undefined;

/** The mosquitto binary; runs install-mosquitto.sh (apt-get) once if it is missing. */
export const ensureMosquitto = (): Promise<string> => {
  installed ??= promisify(execFile)('bash', [join(here, 'install-mosquitto.sh')], {
    timeout: 10 * 60_000,
    maxBuffer: 1 << 20,
  }).then(({ stdout }) => {
    const bin = stdout.trim().split('\n').pop();
    if (bin === undefined || bin === '') throw new Error('install-mosquitto.sh printed no path');
    return bin;
  });
  installed.catch(() => {
    installed = undefined;
  });
  return installed;
};

// Ready when an MQTT client gets its CONNACK.
const accepts = async (url: string): Promise<true | undefined> => {
  const client = await connectAsync(url, { connectTimeout: 1_000, reconnectPeriod: 0 });
  await client.endAsync(true);
  return true;
};

export const startMosquitto = async (): Promise<MosquittoServer> => {
  const bin = await ensureMosquitto();
  const runDir = await makeRunDir('mosquitto');
  const port = await freePort();
  const configFile = join(runDir, 'mosquitto.conf');
  await writeText(
    configFile,
    [
      `listener ${port} ${HOST}`,
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'),
  );
  const logFile = join(runDir, 'mosquitto.log');
  const proc = spawnServer({ name: 'mosquitto', command: bin, args: ['-c', configFile], runDir, logFile });
  const url = `mqtt://${HOST}:${port}`;
  const stop = async (): Promise<void> => {
    await stopGroup(proc.pid);
    await removeDir(runDir);
  };
  try {
    await waitFor({ what: 'mosquitto', timeoutMs: 20_000, process: proc, logFile }, () => accepts(url));
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port, pid: proc.pid, logFile, stop };
};
