// A real single-node Elasticsearch 8.x for tests, from the integration-test distribution
// that install-elasticsearch.sh fetched from Maven Central (no bundled JDK).
import { execFile } from 'node:child_process';
import { cp, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { field, requestJson } from './http.js';
import { ensureInstalled } from './install.js';
import { HOST, freePorts, makeRunDir, removeDir, spawnServer, stopGroup, waitFor, writeText } from './process.js';

const run = promisify(execFile);
const ES_USER = 'msgxc-es'; // created by install-elasticsearch.sh

export interface ElasticsearchServer {
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  readonly stop: () => Promise<void>;
}

export interface ElasticsearchOptions {
  readonly heap?: string;
  readonly startTimeoutMs?: number;
}

// ES 8.x runs on JDK 17; the JDK that `java` on the PATH belongs to is used unless
// MSGXC_ES_JAVA_HOME names another.
const javaHome = async (): Promise<string> => {
  const fromEnv = process.env.MSGXC_ES_JAVA_HOME;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const { stderr } = await run('java', ['-XshowSettings:properties', '-version']);
  const home = /^\s*java\.home = (.+)$/m.exec(stderr)?.[1];
  if (home === undefined) throw new Error('cannot tell java.home of `java` on the PATH');
  return home.trim();
};

// Elasticsearch refuses to run as root: as root, run it as the installer's system user.
const runAs = async (runDir: string): Promise<{ uid: number; gid: number } | undefined> => {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string): Promise<number> => Number((await run('id', [flag, ES_USER])).stdout.trim());
  const user = { uid: await id('-u'), gid: await id('-g') };
  await run('chown', ['-R', `${user.uid}:${user.gid}`, runDir]);
  return user;
};

const settings = (home: string, runDir: string, httpPort: number, transportPort: number): string =>
  [
    'cluster.name: msgxc-test',
    'node.name: msgxc-test-es',
    `path.data: ${join(runDir, 'data')}`,
    `path.logs: ${join(runDir, 'logs')}`,
    `network.host: ${HOST}`,
    `http.port: ${httpPort}`,
    `transport.port: ${transportPort}`,
    'discovery.type: single-node',
    // The shared disk may be fuller than ES's default watermarks; tests must not go read-only.
    'cluster.routing.allocation.disk.threshold_enabled: false',
    // Setting an option of a module that is absent is a startup error, hence the check.
    ...(existsSync(join(home, 'modules', 'x-pack-security')) ? ['xpack.security.enabled: false'] : []),
    '',
  ].join('\n');

const clusterUsable = async (url: string): Promise<true | undefined> => {
  const { status, body } = await requestJson(`${url}/_cluster/health`, { timeoutMs: 2_000 });
  const health = field(body, 'status');
  return status === 200 && (health === 'green' || health === 'yellow') ? true : undefined;
};

export const startElasticsearch = async (options: ElasticsearchOptions = {}): Promise<ElasticsearchServer> => {
  const home = await ensureInstalled('elasticsearch');
  const runDir = await makeRunDir('elastic');
  const [httpPort = 0, transportPort = 0] = await freePorts(2);
  // A private copy of config/: ES writes its keystore there, and runs must not share it.
  const confDir = join(runDir, 'config');
  await cp(join(home, 'config'), confDir, { recursive: true });
  await writeText(join(confDir, 'elasticsearch.yml'), settings(home, runDir, httpPort, transportPort));
  for (const sub of ['data', 'logs', 'tmp']) await mkdir(join(runDir, sub));
  const user = await runAs(runDir);
  const heap = options.heap ?? '512m';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: runDir,
    ES_JAVA_HOME: await javaHome(),
    ES_PATH_CONF: confDir,
    ES_TMPDIR: join(runDir, 'tmp'),
    // ES defaults to -XX:+AlwaysPreTouch, which makes the whole heap resident at once; on a
    // shared 2-core test machine a heap that grows on demand is the better trade.
    ES_JAVA_OPTS: `-Xms${heap} -Xmx${heap} -XX:-AlwaysPreTouch`,
  };
  const logFile = join(runDir, 'elasticsearch.log');
  const proc = spawnServer({
    name: 'elasticsearch',
    command: join(home, 'bin', 'elasticsearch'),
    args: [],
    runDir,
    cwd: join(runDir, 'logs'),
    logFile,
    env,
    ...(user ?? {}),
  });
  const url = `http://${HOST}:${httpPort}`;
  const stop = async (): Promise<void> => {
    await stopGroup(proc.pid, 30_000);
    await removeDir(runDir);
  };
  try {
    const spec = {
      what: 'elasticsearch',
      timeoutMs: options.startTimeoutMs ?? 180_000,
      intervalMs: 500,
      process: proc,
      logFile,
    };
    await waitFor(spec, () => clusterUsable(url));
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, pid: proc.pid, logFile, stop };
};
