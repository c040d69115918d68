import * as E from 'fp-ts/lib/Either.js';
import { configFromEnv, type Config } from '../schema/config.js';
import { devSecret } from './dev-mode.js';

// The configuration a command runs with: the environment decoded by the one codec
// (schema/config.ts, channel providers included), plus a development secret when no key is
// configured in development mode. A bad value ends the process naming the variable.
export interface LoadedConfig {
  readonly config: Config;
  /** True when the JWT secret was generated in the data directory (development mode). */
  readonly generatedSecret: boolean;
}

export const usageError = (lines: readonly string[]): never => {
  process.stderr.write(`msgxc: configuration error\n${lines.map((l) => `  - ${l}`).join('\n')}\n`);
  process.exit(2);
};

export const loadConfig = (env: Record<string, string | undefined>): LoadedConfig => {
  const decoded = configFromEnv(env);
  const config = E.isLeft(decoded) ? usageError(decoded.left) : decoded.right;
  if (config.mode === 'development' && config.jwtSecret === undefined && config.jwtPublicKey === undefined)
    return { config: { ...config, jwtSecret: devSecret(config.dataDir) }, generatedSecret: true };
  return { config, generatedSecret: false };
};
