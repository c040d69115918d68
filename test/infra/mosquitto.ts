// A real Mosquitto broker (Debian's package, 2.0.x) for the MQTT channel's tests: its own
// config file (loopback listener, anonymous clients, no persistence), stopped by PID; on
// request also a TLS listener that requires a client certificate from a throwaway CA.
import { execFile } from 'node:child_process';
import { chmod, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectAsync } from 'mqtt';
import { HOST, freePort, makeRunDir, removeDir, spawnServer, stopGroup, waitFor, writeText } from './process.js';

/** A TLS listener that requires a client certificate signed by its own CA (files in the run folder). */
export interface MosquittoTls {
  readonly url: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface MosquittoServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly logFile: string;
  readonly tls?: MosquittoTls;
  readonly stop: () => Promise<void>;
}

export interface MosquittoOptions {
  /** The plain listener's port (default: a free one), e.g. to bring a broker up where clients already point. */
  readonly port?: number;
  /** Also listen with TLS, requiring client certificates (a throwaway CA made with openssl). */
  readonly tls?: boolean;
  /** More lines for mosquitto.conf (global options such as `max_packet_size 2000`). */
  readonly config?: readonly string[];
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
const accepts = async (url: string, tls?: MosquittoTls): Promise<true | undefined> => {
  const client = await connectAsync(url, {
    connectTimeout: 1_000,
    reconnectPeriod: 0,
    ...(tls === undefined
      ? {}
      : {
          ca: await readFile(tls.caFile, 'utf8'),
          cert: await readFile(tls.certFile, 'utf8'),
          key: await readFile(tls.keyFile, 'utf8'),
        }),
  });
  await client.endAsync(true);
  return true;
};

const openssl = (runDir: string, args: string[]): Promise<unknown> =>
  promisify(execFile)('openssl', args, { cwd: runDir, timeout: 60_000 });

/** A CA, a server certificate for 127.0.0.1 and a client certificate, P-256 keys, valid two days. */
const makeCertificates = async (runDir: string): Promise<void> => {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(runDir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=msgxc test CA',
  ]);
  await writeText(join(runDir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', ['-extfile', 'server.ext']],
    ['client', 'msgxc-test-client', []],
  ] as const) {
    await openssl(runDir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    await openssl(runDir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      ...ext,
    ]);
  }
  // Started as root, mosquitto drops to its own user before it reads these: throwaway files of
  // a test CA in a private temporary folder, made readable to it.
  await chmod(runDir, 0o755);
  for (const f of ['ca.crt', 'server.crt', 'server.key']) await chmod(join(runDir, f), 0o644);
};

export const startMosquitto = async (options: MosquittoOptions = {}): Promise<MosquittoServer> => {
  const bin = await ensureMosquitto();
  const runDir = await makeRunDir('mosquitto');
  const port = options.port ?? (await freePort());
  const configFile = join(runDir, 'mosquitto.conf');
  let tls: MosquittoTls | undefined;
  const tlsLines: string[] = [];
  if (options.tls === true) {
    await makeCertificates(runDir);
    const tlsPort = await freePort();
    tls = {
      url: `mqtts://${HOST}:${tlsPort}`,
      caFile: join(runDir, 'ca.crt'),
      certFile: join(runDir, 'client.crt'),
      keyFile: join(runDir, 'client.key'),
    };
    tlsLines.push(
      `listener ${tlsPort} ${HOST}`,
      `cafile ${join(runDir, 'ca.crt')}`,
      `certfile ${join(runDir, 'server.crt')}`,
      `keyfile ${join(runDir, 'server.key')}`,
      'require_certificate true',
      'use_identity_as_username true',
    );
  }
  await writeText(
    configFile,
    [
      // Listener settings (anonymous clients) apply to every listener.
      'per_listener_settings false',
      `listener ${port} ${HOST}`,
      ...tlsLines,
      'allow_anonymous true',
      'persistence false',
      ...(options.config ?? []),
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
    if (tls !== undefined) {
      const t = tls;
      await waitFor({ what: 'mosquitto (TLS)', timeoutMs: 20_000, process: proc, logFile }, () => accepts(t.url, t));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, port, pid: proc.pid, logFile, ...(tls !== undefined ? { tls } : {}), stop };
};
