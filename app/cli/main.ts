import { loadConfig, usageError } from '../config.js';
import { audit } from './audit.js';
import { rebuildOffline } from './rebuild.js';
import { start } from './start.js';
import { printToken } from './token.js';
import { printVapidKeys } from './vapid-keys.js';

// The subcommands of `msgxc`:
//   msgxc [start]                 starts the broker (app/cli/start.ts)
//   msgxc token <sub> [role,...]  prints a token signed with the configured (or development) secret
//   msgxc rebuild                 replays the log into fresh read models while the broker is stopped
//   msgxc vapid-keys              prints a new web push key pair for MSGXC_VAPID_*_KEY
//   msgxc audit export|verify|checkpoint   the auditors' tools on the log (app/cli/audit.ts)
export const main = async (argv: readonly string[]): Promise<void> => {
  const [command, ...args] = argv;
  // The one subcommand that needs no configuration: it makes some.
  if (command === 'vapid-keys') {
    printVapidKeys();
    return;
  }
  const loaded = loadConfig(process.env);
  if (command === 'token') {
    await printToken(loaded.config, args);
    return;
  }
  if (command === 'rebuild') {
    await rebuildOffline(loaded.config);
    return;
  }
  if (command === 'audit') {
    process.exitCode = await audit(loaded.config, args);
    return;
  }
  if (command !== undefined && command !== 'start')
    usageError([`unknown command "${command}" (expected: start, token, rebuild, vapid-keys, audit)`]);
  await start(loaded);
};
