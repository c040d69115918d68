// The NATS servers a test run carries (global-setup.ts), one entry per release, so a suite
// can run once per nats-server version and say in its name which one it ran against.
import type { NatsRelease } from './nats.js';

interface Target {
  readonly release: NatsRelease;
  /** The MSGXC_TEST_SERVERS name that starts it. */
  readonly server: string;
  /** The variable holding its address; named in the skip message when unset. */
  readonly urlVar: string;
  /** What the server reported when global-setup started it; undefined for an external or absent one. */
  readonly version: string | undefined;
  /** "nats-server 2.9.10", or the release's name when the version is unknown. */
  readonly label: string;
}

export interface NatsSingleTarget extends Target {
  /** Undefined when this release is not part of the run. */
  readonly url: string | undefined;
  readonly monitorVar: string;
  readonly monitorUrl: string | undefined;
}

export interface NatsClusterTarget extends Target {
  readonly urls: readonly string[] | undefined;
  readonly monitorUrls: readonly string[] | undefined;
}

const RELEASES: ReadonlyArray<{ release: NatsRelease; server: string; prefix: string; name: string }> = [
  { release: 'debian', server: 'nats', prefix: 'MSGXC_TEST_NATS', name: "Debian's 2.9" },
  { release: 'current', server: 'natscurrent', prefix: 'MSGXC_TEST_NATS_CURRENT', name: 'current release' },
];

const env = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
};

const list = (value: string | undefined): readonly string[] | undefined => value?.split(',').map((s) => s.trim());

// An external server (its URL set by hand) reports no version here: say so rather than guess.
const label = (name: string, version: string | undefined, url: string | undefined): string =>
  version !== undefined
    ? `nats-server ${version}`
    : url !== undefined
      ? `nats-server (${name}, external)`
      : `nats-server (${name})`;

/** One JetStream node per release: `nats` (Debian 2.9) and `natscurrent`. */
export const natsSingleTargets = (): readonly NatsSingleTarget[] =>
  RELEASES.map(({ release, server, prefix, name }) => {
    const url = env(`${prefix}_URL`);
    const version = env(`${prefix}_VERSION`);
    const monitorVar = `${prefix}_MONITOR_URL`;
    return {
      release,
      server,
      urlVar: `${prefix}_URL`,
      url,
      monitorVar,
      monitorUrl: env(monitorVar),
      version,
      label: label(name, version, url),
    };
  });

/** One three-node JetStream cluster per release: `natscluster` (Debian 2.9) and `natscurrentcluster`. */
export const natsClusterTargets = (): readonly NatsClusterTarget[] =>
  RELEASES.map(({ release, server, prefix, name }) => {
    const urls = list(env(`${prefix}_CLUSTER_URLS`));
    const version = env(`${prefix}_CLUSTER_VERSION`);
    return {
      release,
      server: `${server}cluster`,
      urlVar: `${prefix}_CLUSTER_URLS`,
      urls,
      monitorUrls: list(env(`${prefix}_CLUSTER_MONITOR_URLS`)),
      version,
      label: label(name, version, urls?.[0]),
    };
  });
