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

    it('gives each of many new owners asked for at once one key, the same to every caller; another connection finds each', async () => {
      const keys = await fresh();
      const owners = Array.from({ length: 100 }, owner);
      const got = await Promise.all([...owners, ...owners].map((o) => keys.keyFor(o)));
      owners.forEach((_, i) => {
        expect(got[i + 100]).toEqual(got[i]);
      });
      expect(new Set(got.map((k) => k.kid)).size).toBe(100);
      const other = await fresh();
      for (const [i, o] of owners.entries()) {
        const k = got[i];
        expect(k?.key).toHaveLength(32);
        expect(await other.find(o, k?.kid ?? '')).toEqual(k?.key);
        expect(await other.keyFor(o)).toEqual(k);
      }
    });

    it('two connections racing for the same new owners: every key handed out stays readable, then both agree on one', async () => {
      const [a, b] = [await fresh(), await fresh()];
      const owners = Array.from({ length: 40 }, owner);
      const [fromA, fromB] = await Promise.all([
        Promise.all(owners.map((o) => a.keyFor(o))),
        Promise.all(owners.map((o) => b.keyFor(o))),
      ]);
      for (const [i, o] of owners.entries()) {
        const handedOut = [fromA[i], fromB[i]];
        for (const k of handedOut)
          for (const store of [a, b]) expect(await store.find(o, k?.kid ?? '')).toEqual(k?.key);
        const [nowA, nowB] = [await a.keyFor(o), await b.keyFor(o)];
        expect(nowB).toEqual(nowA);
        expect(handedOut.map((k) => k?.kid)).toContain(nowA.kid);
      }
    });

    it('an owner erased while others get their keys in the same turn gets a new kid after, the others keep theirs', async () => {
      const keys = await fresh();
      const owners = Array.from({ length: 20 }, owner);
      const before = await Promise.all(owners.map((o) => keys.keyFor(o)));
      const erased = owners[0] ?? '';
      const [destroyed, ...rest] = await Promise.all([
        keys.destroy(erased),
        ...owners.slice(1).map((o) => keys.keyFor(o)),
      ]);
      expect(destroyed).toBe(1);
      expect(rest).toEqual(before.slice(1));
      const again = await keys.keyFor(erased);
      expect(again.kid).not.toBe(before[0]?.kid);
      expect(await keys.find(erased, before[0]?.kid ?? '')).toBeUndefined();
      expect(await keys.find(erased, again.kid)).toEqual(again.key);
    });
  });
};
