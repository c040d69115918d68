import { loadConfig, usageError } from '../config.js';
import { HELP } from './help.js';

// The subcommands of `msgxc`:
//   msgxc [start]                 starts the broker (app/cli/start.ts), in the role MSGXC_ROLE names
//   msgxc reactors                the same with MSGXC_ROLE=reactors: delivery only, no HTTP API
//   msgxc --help                  what app/cli/help.ts says
//   msgxc token <sub> [role,...]  prints a token signed with the configured (or development) secret
//   msgxc rebuild [--allow-skips] builds the read models anew from the log while the broker is stopped
//   msgxc vapid-keys              prints a new web push key pair for MSGXC_VAPID_*_KEY
//   msgxc audit export|verify|checkpoint   the auditors' tools on the log (app/cli/audit.ts)
//   msgxc import FILE [--url U] [--token T]  posts an NDJSON file of users to a running broker
// Each subcommand's module is loaded when it runs: the broker's (every engine's client, uWS)
// takes seconds to load, and `msgxc token` in a script should not pay for it.
export const main = async (argv: readonly string[]): Promise<void> => {
  const [command, ...args] = argv;
  // `--help` anywhere answers the help and does nothing else: `msgxc start --help` started a
  // broker, `msgxc rebuild --help` opened the data files, `msgxc token --help` minted a token
  // for a user called "--help".
  if (
    command === '--help' ||
    command === '-h' ||
    command === 'help' ||
    args.includes('--help') ||
    args.includes('-h')
  ) {
    process.stdout.write(HELP);
    return;
  }
  // The one subcommand that needs no configuration: it makes some.
  if (command === 'vapid-keys') {
    const { printVapidKeys } = await import('./vapid-keys.js');
    printVapidKeys();
    return;
  }
  // `msgxc reactors` is MSGXC_ROLE=reactors; a different role set beside it is a mistake to name.
  if (command === 'reactors' && (process.env['MSGXC_ROLE'] ?? 'reactors') !== 'reactors')
    usageError([`msgxc reactors: contradicts MSGXC_ROLE=${process.env['MSGXC_ROLE'] ?? ''}`]);
  const loaded = loadConfig(command === 'reactors' ? { ...process.env, MSGXC_ROLE: 'reactors' } : process.env);
  if (command === 'token') {
    const { printToken } = await import('./token.js');
    await printToken(loaded.config, args);
    return;
  }
  if (command === 'rebuild') {
    const { RefusedToSkip, rebuildOffline } = await import('./rebuild.js');
    try {
      await rebuildOffline(loaded.config, args);
    } catch (e) {
      if (!(e instanceof RefusedToSkip)) throw e;
      process.stderr.write(`msgxc rebuild: ${e.message}\n`);
      process.exit(3);
    }
    return;
  }
  if (command === 'audit') {
    const { audit } = await import('./audit.js');
    process.exitCode = await audit(loaded.config, args);
    return;
  }
  if (command === 'import') {
    const { importFile } = await import('./import.js');
    process.exitCode = await importFile(loaded.config, args);
    return;
  }
  if (command !== undefined && command !== 'start' && command !== 'reactors')
    usageError([
      `unknown command "${command}" (expected: start, reactors, token, rebuild, vapid-keys, audit, import; msgxc --help)`,
    ]);
  // Settings are MSGXC_* variables, never arguments: one given here would be silently ignored.
  if (args.length > 0)
    usageError([
      `msgxc ${command ?? 'start'}: takes no arguments (got ${JSON.stringify(args[0]).slice(0, 60)}); settings are MSGXC_* variables, see msgxc --help`,
    ]);
  const { start } = await import('./start.js');
  await start(loaded);
};
