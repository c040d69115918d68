import type { Config } from '../../schema/config.js';
import { usageError } from '../config.js';
import { mintToken } from '../dev-mode.js';

// `msgxc token <sub> [role,role]`: a 24-hour HS256 token signed with the configured (or
// development) secret, for trying the API and for scripts.
export const printToken = async (config: Config, args: readonly string[]): Promise<void> => {
  const [sub, roles] = args;
  if (sub === undefined || config.jwtSecret === undefined)
    return usageError(['usage: msgxc token <sub> [role,role] (needs an HS256 secret)']);
  // An option where the subject goes is a mistake (`--roles admin`), not a user called "--roles".
  if (sub.startsWith('-') || args.length > 2)
    return usageError([
      `msgxc token: unexpected ${JSON.stringify((sub.startsWith('-') ? sub : args[2]) ?? '').slice(0, 60)}; usage: msgxc token <sub> [role,role]`,
    ]);
  const token = await mintToken(
    config.jwtSecret,
    sub,
    roles ? roles.split(',') : [],
    24 * 3600,
    config.auth.audience?.[0],
  );
  process.stdout.write(`${token}\n`);
};
