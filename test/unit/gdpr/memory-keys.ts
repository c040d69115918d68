import { randomBytes } from 'node:crypto';
import type { KeyStore } from '../../../ports/keystore.js';

/** A key store in memory: one key per owner, made on first use, gone when destroyed. */
export const memoryKeys = (): KeyStore => {
  const rows = new Map<string, { kid: string; key: Uint8Array }>();
  return {
    keyFor: (owner) => {
      const known = rows.get(owner) ?? { kid: randomBytes(6).toString('hex'), key: new Uint8Array(randomBytes(32)) };
      rows.set(owner, known);
      return Promise.resolve(known);
    },
    find: (owner, kid) => Promise.resolve(rows.get(owner)?.kid === kid ? rows.get(owner)?.key : undefined),
    destroy: (owner) => Promise.resolve(rows.delete(owner) ? 1 : 0),
    close: () => Promise.resolve(),
  };
};
