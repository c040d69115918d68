import { createIdGenerator } from '../adapters/ids/ids.js';
import type { CountedEventStore } from '../adapters/eventstore/in-flight.js';
import { createVerifier } from '../api/auth.js';
import type { Metrics } from '../api/metrics.js';
import type { RateMemory } from '../api/rate-limits.js';
import { createCommands, type CommandOptions } from '../commands/index.js';
import type { Clock } from '../ports/clock.js';
import type { Config } from '../schema/config.js';
import { startLimits } from './limits.js';
import { createRecognition } from './recognition.js';

/** Ids and the command handlers: what a reactors process (app/reactors-node.ts) needs to revoke a device. */
export const startCommands = (
  config: Config,
  store: CommandOptions['store'],
  personal: CommandOptions['personal'],
  clock: Clock,
) => {
  const ids = createIdGenerator(() => clock.now().getTime());
  const commands = createCommands({
    store,
    ids,
    allowedPushHosts: config.channels.settings.allowedPushHosts,
    ...(personal !== undefined ? { personal } : {}),
  });
  return { ids, commands };
};

// What every thread that answers commands composes the same way (the main thread in
// app/node.ts, each HTTP worker in app/http-threads/worker.ts): ids, the command handlers,
// first-sight recognition, the rate limits and shedding, the token verifier.
export const startCommandSide = (
  config: Config,
  store: CountedEventStore,
  personal: CommandOptions['personal'],
  clock: Clock,
  metrics: Metrics,
  /** On an HTTP worker thread: the main thread's rate-limit buckets, so the budgets stay per node. */
  rateMemory?: RateMemory,
) => {
  const { ids, commands } = startCommands(config, store, personal, clock);
  const recognise = createRecognition(
    (ctx) => commands.recognize(ctx),
    () => clock.now(),
  );
  const limits = startLimits(config, store, metrics, rateMemory);
  const verifier = createVerifier(
    {
      ...(config.jwtSecret !== undefined ? { secret: config.jwtSecret } : {}),
      ...(config.jwtPublicKey !== undefined ? { publicKey: config.jwtPublicKey } : {}),
      algorithms: config.jwtAlgorithms,
      ...config.auth,
    },
    () => clock.now().getTime(),
  );
  return { ids, commands, recognise, limits, verifier };
};
