import { type KeyObject, createCipheriv, createDecipheriv, createSecretKey, randomFillSync } from 'node:crypto';
import type { SealedField } from '../../schema/personal.js';

// AES-256-GCM over a field's JSON text, with a fresh 96-bit IV per field and the field's
// context (owner, event type, field name) as additional data, so an envelope moved to another
// person or field fails its tag instead of opening there.
const TAG = 16;
const IV = 12;

// A cipher made from a raw key imports the key again each time; a KeyObject made once per
// data key skips that (issue 15: cipher creation was most of the sealing cost on the send
// path). Made from a key's second use on: making one costs more than it saves for a key used
// once (a person's first message; the benchmark's 10,000 recipients). Keyed by the key's
// bytes object, which the sealed store's caches hand out each time; a key dropped from them
// is collected with its KeyObject.
const keyObjects = new WeakMap<Uint8Array, KeyObject>();
const usedOnce = new WeakSet<Uint8Array>();
const keyObject = (key: Uint8Array): KeyObject | Uint8Array => {
  const known = keyObjects.get(key);
  if (known !== undefined) return known;
  if (!usedOnce.has(key)) {
    usedOnce.add(key);
    return key;
  }
  const made = createSecretKey(key);
  keyObjects.set(key, made);
  return made;
};

// IVs are still random, 96 bits each from the CSPRNG (a counter could repeat across processes
// and restarts under the same key, which breaks GCM), but drawn from a pool filled in bulk:
// one randomBytes call per IV was a third of sealing. Each slice is handed out once.
const POOL = Buffer.alloc(IV * 512);
let taken = POOL.length;
const freshIv = (): Buffer => {
  if (taken + IV > POOL.length) {
    randomFillSync(POOL);
    taken = 0;
  }
  const iv = Buffer.from(POOL.subarray(taken, taken + IV));
  taken += IV;
  return iv;
};

export const sealValue = (key: Uint8Array, kid: string, context: string, value: unknown): SealedField => {
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', keyObject(key), iv);
  cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { enc: 'v1', kid, iv: iv.toString('base64'), ct: ct.toString('base64') };
};

/** The field's value, or undefined when it does not open with this key and context (wrong key, altered bytes). */
export const openValue = (key: Uint8Array, context: string, sealed: SealedField): { value: unknown } | undefined => {
  try {
    const iv = Buffer.from(sealed.iv, 'base64');
    const all = Buffer.from(sealed.ct, 'base64');
    if (iv.length !== IV || all.length < TAG) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', keyObject(key), iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(all.subarray(all.length - TAG));
    const text = Buffer.concat([decipher.update(all.subarray(0, all.length - TAG)), decipher.final()]).toString('utf8');
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
};
