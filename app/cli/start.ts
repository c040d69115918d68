import type { LoadedConfig } from '../config.js';
import { devBanner } from '../dev-mode.js';
import { createLogger } from '../log.js';
import { startBroker } from '../node.js';
import { startReactorsNode } from '../reactors-node.js';

// `msgxc` / `msgxc start` / `msgxc reactors`: one node of the broker, of the configured role
// (MSGXC_ROLE: all, api or reactors), until SIGINT or SIGTERM.
export const start = async ({ config, generatedSecret }: LoadedConfig): Promise<void> => {
  const log = createLogger(config.logLevel);
  // Node ends the process on a rejection nobody handled. Every known path handles its own
  // (issue 9: nothing a client sends may end a node), so one that slips through is a bug to
  // log loudly, not a reason to drop every connection of this node.
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled promise rejection');
  });
  const broker = config.role === 'reactors' ? await startReactorsNode(config, log) : await startBroker(config, log);
  // Always printed, whatever the log level: scripts and tests wait for this line (a reactors
  // node listens for its probes only).
  process.stdout.write(
    `msgxc listening on http://${config.host}:${broker.port} (${config.mode} mode, event store: ${config.eventStore}, role: ${config.role})\n`,
  );
  if (generatedSecret && config.jwtSecret !== undefined) {
    process.stdout.write(
      `${await devBanner(config.jwtSecret, `http://${config.host}:${broker.port}`, config.auth.audience?.[0])}\n`,
    );
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
