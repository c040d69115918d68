// A real single-node Apache Cassandra 5.0 for tests, from the jars that
// install-cassandra.sh fetched from Maven Central.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cassandraJvmArgs, cassandraYaml, logbackXml } from './cassandra-config.js';
import { connectCql } from './cql.js';
import { ensureInstalled } from './install.js';
import { HOST, freePorts, makeRunDir, removeDir, spawnServer, stopGroup, waitFor, writeText } from './process.js';

export interface CassandraServer {
  readonly contactPoint: string;
  readonly port: number;
  readonly localDataCenter: string;
  readonly releaseVersion: string;
  readonly pid: number;
  readonly logFile: string;
  readonly stop: () => Promise<void>;
}

export interface CassandraOptions {
  readonly heap?: { readonly min: string; readonly max: string };
  readonly startTimeoutMs?: number;
}

/** Ready means a real CQL round trip works, not merely that the port accepts connections. */
export const releaseVersion = async (port: number): Promise<string | undefined> => {
  const cql = await connectCql(HOST, port, 2_000);
  try {
    const result = await cql.query('SELECT release_version FROM system.local');
    const version = result.kind === 'rows' ? result.rows[0]?.release_version : undefined;
    return typeof version === 'string' ? version : undefined;
  } finally {
    cql.close();
  }
};

const findJamm = async (libDir: string): Promise<string> => {
  const jar = (await readdir(libDir)).find((f) => /^jamm-.*\.jar$/.test(f));
  if (jar === undefined) throw new Error(`no jamm agent jar in ${libDir}`);
  return join(libDir, jar);
};

export const startCassandra = async (options: CassandraOptions = {}): Promise<CassandraServer> => {
  const home = await ensureInstalled('cassandra');
  const libDir = join(home, 'lib');
  const runDir = await makeRunDir('cassandra');
  const [nativePort = 0, storagePort = 0] = await freePorts(2);
  const layout = { runDir, nativePort, storagePort };
  const yamlFile = join(runDir, 'cassandra.yaml');
  const logbackFile = join(runDir, 'logback.xml');
  await writeText(yamlFile, cassandraYaml(layout));
  await writeText(logbackFile, logbackXml);
  await mkdir(join(runDir, 'logs'));
  const logFile = join(runDir, 'cassandra.log');
  const args = cassandraJvmArgs({
    libDir,
    jammJar: await findJamm(libDir),
    runDir,
    yamlFile,
    logbackFile,
    // Every e2e broker has a keyspace of its own (~30 tables). While they were kept for the whole
    // run a 1 GiB heap ran out (ExitOnOutOfMemoryError) late in a full e2e-production tier; they
    // are now dropped when their test file ends (test/e2e/drop-stores.ts), and 2 GiB stays as
    // room for a file with many brokers.
    heap: options.heap ?? { min: '512m', max: '2g' },
  });
  const proc = spawnServer({
    name: 'cassandra',
    command: process.env.MSGXC_CASSANDRA_JAVA ?? 'java',
    args,
    runDir,
    logFile,
  });
  const stop = async (): Promise<void> => {
    // A server that died before it was asked to stop: its log's end says why, before it is removed.
    const died = proc.exitStatus();
    if (died !== undefined) {
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-40).join('\n');
      process.stderr.write(
        `[msgxc-infra] cassandra had exited (${died}) before the end of the run; its log ends:\n${tail}\n`,
      );
    }
    await stopGroup(proc.pid, 30_000);
    await removeDir(runDir);
  };
  let version: string;
  try {
    const spec = {
      what: 'cassandra',
      timeoutMs: options.startTimeoutMs ?? 180_000,
      intervalMs: 500,
      process: proc,
      logFile,
    };
    version = await waitFor(spec, () => releaseVersion(layout.nativePort));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    contactPoint: HOST,
    port: layout.nativePort,
    localDataCenter: 'datacenter1', // SimpleSnitch's fixed data-center name
    releaseVersion: version,
    pid: proc.pid,
    logFile,
    stop,
  };
};
