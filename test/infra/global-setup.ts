// vitest globalSetup: starts the real servers a run asks for, once per run, and hands their
// addresses to the test files through environment variables.
//   MSGXC_TEST_SERVERS=nats,natscluster,natscurrent,natscurrentcluster,cassandra,elastic,mosquitto
// (any subset; empty: none). nats/natscluster are Debian's nats-server 2.9, natscurrent/
// natscurrentcluster the current release built from the Go module proxy.
// A server whose address variable is already set (an external server) is not started.
import { startCassandra } from './cassandra.js';
import { startElasticsearch } from './elasticsearch.js';
import { startMosquitto } from './mosquitto.js';
import { startNats, startNatsCluster } from './nats.js';
import type { NatsRelease } from './nats.js';
import { groupRssKb } from './process.js';
import { installExitHandlers, reapOrphans } from './reaper.js';

export const SERVER_NAMES = [
  'nats',
  'natscluster',
  'natscurrent',
  'natscurrentcluster',
  'cassandra',
  'elastic',
  'mosquitto',
] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

interface Running {
  readonly env: Readonly<Record<string, string>>;
  readonly pids: readonly number[];
  readonly stop: () => Promise<void>;
}

// The two NATS releases (test/infra/nats.ts) get the same variables under their own prefix:
// <prefix>_URL, _MONITOR_URL, _VERSION for one node; <prefix>_CLUSTER_URLS, _MONITOR_URLS,
// _VERSION for three. The version is what the server reports, so test names can say it.
const natsSingle = (release: NatsRelease, prefix: string) => ({
  envVar: `${prefix}_URL`,
  start: async (): Promise<Running> => {
    const s = await startNats({ jetstream: true, release });
    const env = { [`${prefix}_URL`]: s.url, [`${prefix}_MONITOR_URL`]: s.monitorUrl, [`${prefix}_VERSION`]: s.version };
    return { env, pids: [s.pid], stop: s.stop };
  },
});
const natsCluster = (release: NatsRelease, prefix: string) => ({
  envVar: `${prefix}_CLUSTER_URLS`,
  start: async (): Promise<Running> => {
    const c = await startNatsCluster(3, { release });
    const env = {
      [`${prefix}_CLUSTER_URLS`]: c.urls.join(','),
      [`${prefix}_CLUSTER_MONITOR_URLS`]: c.nodes.map((n) => n.monitorUrl).join(','),
      [`${prefix}_CLUSTER_VERSION`]: c.version,
    };
    return { env, pids: c.nodes.map((n) => n.pid), stop: c.stop };
  },
});

const starters: Record<ServerName, { readonly envVar: string; readonly start: () => Promise<Running> }> = {
  nats: natsSingle('debian', 'MSGXC_TEST_NATS'),
  natscluster: natsCluster('debian', 'MSGXC_TEST_NATS'),
  natscurrent: natsSingle('current', 'MSGXC_TEST_NATS_CURRENT'),
  natscurrentcluster: natsCluster('current', 'MSGXC_TEST_NATS_CURRENT'),
  cassandra: {
    envVar: 'MSGXC_TEST_CASSANDRA_PORT',
    start: async () => {
      const s = await startCassandra();
      const env = {
        MSGXC_TEST_CASSANDRA_PORT: String(s.port),
        MSGXC_TEST_CASSANDRA_CONTACT_POINT: s.contactPoint,
        MSGXC_TEST_CASSANDRA_DC: s.localDataCenter,
      };
      return { env, pids: [s.pid], stop: s.stop };
    },
  },
  elastic: {
    envVar: 'MSGXC_TEST_ELASTIC_URL',
    start: async () => {
      const s = await startElasticsearch();
      return { env: { MSGXC_TEST_ELASTIC_URL: s.url }, pids: [s.pid], stop: s.stop };
    },
  },
  mosquitto: {
    envVar: 'MSGXC_TEST_MQTT_URL',
    start: async () => {
      const s = await startMosquitto();
      return { env: { MSGXC_TEST_MQTT_URL: s.url }, pids: [s.pid], stop: s.stop };
    },
  },
};

const isServerName = (s: string): s is ServerName => (SERVER_NAMES as readonly string[]).includes(s);

/** Parses MSGXC_TEST_SERVERS; an unknown name is a configuration bug, so it throws. */
export const requestedServers = (value: string | undefined): ServerName[] => {
  const names = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !isServerName(n));
  if (unknown.length > 0) {
    throw new Error(`MSGXC_TEST_SERVERS: unknown ${unknown.join(', ')} (known: ${SERVER_NAMES.join(', ')})`);
  }
  return [...new Set(names.filter(isServerName))];
};

const say = (line: string): void => {
  process.stderr.write(`[msgxc-infra] ${line}\n`);
};

const startOne = async (name: ServerName): Promise<Running> => {
  const started = Date.now();
  const running = await starters[name].start();
  const rss = await Promise.all(running.pids.map(groupRssKb));
  const mib = rss.map((kb) => `${Math.round(kb / 1024)} MiB`).join(' + ');
  say(`${name} ready in ${Date.now() - started} ms, RSS ${mib}: ${JSON.stringify(running.env)}`);
  return running;
};

const stopAll = async (servers: readonly Running[]): Promise<void> => {
  await Promise.allSettled(servers.map((s) => s.stop()));
};

export default async function setup(): Promise<() => Promise<void>> {
  installExitHandlers();
  const reaped = reapOrphans();
  if (reaped > 0) say(`killed ${reaped} server(s) left behind by earlier runs`);
  const wanted = requestedServers(process.env.MSGXC_TEST_SERVERS).filter((name) => {
    const preset = process.env[starters[name].envVar];
    if (preset !== undefined && preset !== '') say(`${name}: using ${starters[name].envVar}=${preset}`);
    return preset === undefined || preset === '';
  });
  // Started side by side: the JVMs mostly wait on their own start-up work.
  const outcomes = await Promise.allSettled(wanted.map(startOne));
  const running = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  if (failures.length > 0) {
    await stopAll(running);
    throw new AggregateError(failures, `could not start: ${failures.map(String).join('\n')}`);
  }
  for (const r of running) Object.assign(process.env, r.env);
  return async () => {
    await stopAll(running);
    for (const r of running) for (const key of Object.keys(r.env)) Reflect.deleteProperty(process.env, key);
    say(`stopped ${running.length} server(s)`);
  };
}
