import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyStore } from '../../ports/keystore.js';

// What every key store (ports/keystore.ts) must do, run on each engine: one key per owner until
// it is destroyed, found by its kid, gone for good after a destroy (a later key is another kid).
export const keyStoreContract = (name: string, open: () => Promise<KeyStore>): void => {
  describe(`key store contract: ${name}`, () => {
    const opened: KeyStore[] = [];
    const fresh = async (): Promise<KeyStore> => {
      const k = await open();
      opened.push(k);
      return k;
    };
    const owner = (): string => `u-${randomBytes(6).toString('hex')}`;
    afterEach(async () => {
      for (const k of opened.splice(0)) await k.close();
    });

    it('gives an owner one 32-byte key, the same on every ask and through another connection', async () => {
      const keys = await fresh();
      const uid = owner();
      const first = await keys.keyFor(uid);
      expect(first.key).toHaveLength(32);
      expect(await keys.keyFor(uid)).toEqual(first);
      const other = await fresh();
      expect(await other.keyFor(uid)).toEqual(first);
      expect(await other.find(uid, first.kid)).toEqual(first.key);
    });

    it('keeps owners apart: another owner has another key, and a kid is found only under its owner', async () => {
      const keys = await fresh();
      const [a, b] = [owner(), owner()];
      const ka = await keys.keyFor(a);
      const kb = await keys.keyFor(b);
      expect(kb.kid).not.toBe(ka.kid);
      expect(Buffer.from(kb.key).equals(Buffer.from(ka.key))).toBe(false);
      expect(await keys.find(b, ka.kid)).toBeUndefined();
      expect(await keys.find(a, 'no-such-kid')).toBeUndefined();
    });

    it('destroys every key of an owner, for every connection; a later key is a new kid; others keep theirs', async () => {
      const keys = await fresh();
      const other = await fresh();
      const [a, b] = [owner(), owner()];
      const ka = await keys.keyFor(a);
      const kb = await keys.keyFor(b);
      expect(await keys.destroy(a)).toBe(1);
      expect(await keys.find(a, ka.kid)).toBeUndefined();
      expect(await other.find(a, ka.kid)).toBeUndefined();
      expect(await keys.destroy(a)).toBe(0);
      const again = await other.keyFor(a);
      expect(again.kid).not.toBe(ka.kid);
      expect(await keys.find(a, ka.kid)).toBeUndefined();
      expect(await keys.find(b, kb.kid)).toEqual(kb.key);
    });
  });
};
