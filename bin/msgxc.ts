#!/usr/bin/env node
import * as E from 'fp-ts/lib/Either.js';
import { configFromEnv, type Config } from '../schema/config.js';
import { startBroker } from '../api/server.js';
import { createLogger } from '../api/log.js';
import { devBanner, devSecret, mintToken } from '../api/dev-mode.js';
import { rebuildOffline } from '../api/cli-rebuild.js';
import { loadChannelConfig } from '../adapters/channels/config.js';
import { vapidKeyPair } from '../adapters/channels/webpush.js';

// `msgxc` starts the broker; `msgxc token <sub> [role,...]` prints a token signed with the
// configured (or development) secret, for trying the API and for scripts; `msgxc rebuild`
// replays the log into fresh read models while the broker is stopped; `msgxc vapid-keys`
// prints a new web push key pair for MSGXC_VAPID_PUBLIC_KEY / MSGXC_VAPID_PRIVATE_KEY.
const fail = (lines: readonly string[]): never => {
  process.stderr.write(`msgxc: configuration error\n${lines.map((l) => `  - ${l}`).join('\n')}\n`);
  process.exit(2);
};

const loadConfig = (): Config => {
  const decoded = configFromEnv(process.env);
  return E.isLeft(decoded) ? fail(decoded.left) : decoded.right;
};

const withDevSecret = (config: Config): Config =>
  config.mode === 'development' && config.jwtSecret === undefined && config.jwtPublicKey === undefined
    ? { ...config, jwtSecret: devSecret(config.dataDir) }
    : config;

const main = async (): Promise<void> => {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'vapid-keys') {
    const keys = vapidKeyPair();
    process.stdout.write(`MSGXC_VAPID_PUBLIC_KEY=${keys.publicKey}\nMSGXC_VAPID_PRIVATE_KEY=${keys.privateKey}\n`);
    return;
  }
  const configured = loadConfig();
  const config = withDevSecret(configured);
  const generatedSecret = config.jwtSecret !== configured.jwtSecret;
  if (command === 'token') {
    const [sub, roles] = args;
    if (sub === undefined || config.jwtSecret === undefined)
      fail(['usage: msgxc token <sub> [role,role] (needs an HS256 secret)']);
    process.stdout.write(
      `${await mintToken(config.jwtSecret ?? '', sub ?? '', roles ? roles.split(',') : [], 24 * 3600)}\n`,
    );
    return;
  }
  if (command === 'rebuild') {
    await rebuildOffline(config);
    return;
  }
  if (command !== undefined && command !== 'start')
    fail([`unknown command "${command}" (expected: start, token, rebuild, vapid-keys)`]);
  // Provider credentials are checked now, not at the first send.
  const channels = loadChannelConfig(process.env);
  const channelConfig = E.isLeft(channels) ? fail(channels.left) : channels.right;
  const log = createLogger(config.logLevel);
  const broker = await startBroker(config, log, undefined, channelConfig);
  // Always printed, whatever the log level: scripts and tests wait for this line.
  process.stdout.write(
    `msgxc listening on http://${config.host}:${broker.port} (${config.mode} mode, event store: ${config.eventStore})\n`,
  );
  if (generatedSecret && config.jwtSecret !== undefined) {
    process.stdout.write(`${await devBanner(config.jwtSecret, `http://${config.host}:${broker.port}`)}\n`);
  }
  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    broker.close().then(
      () => {
        log.flush();
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
};

main().catch((e: unknown) => {
  process.stderr.write(`msgxc: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
