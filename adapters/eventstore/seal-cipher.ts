import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealedField } from '../../schema/personal.js';

// AES-256-GCM over a field's JSON text, with a fresh 96-bit IV per field and the field's
// context (owner, event type, field name) as additional data, so an envelope moved to another
// person or field fails its tag instead of opening there.
const TAG = 16;

export const sealValue = (key: Uint8Array, kid: string, context: string, value: unknown): SealedField => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { enc: 'v1', kid, iv: iv.toString('base64'), ct: ct.toString('base64') };
};

/** The field's value, or undefined when it does not open with this key and context (wrong key, altered bytes). */
export const openValue = (key: Uint8Array, context: string, sealed: SealedField): { value: unknown } | undefined => {
  try {
    const iv = Buffer.from(sealed.iv, 'base64');
    const all = Buffer.from(sealed.ct, 'base64');
    if (iv.length !== 12 || all.length < TAG) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(all.subarray(all.length - TAG));
    const text = Buffer.concat([decipher.update(all.subarray(0, all.length - TAG)), decipher.final()]).toString('utf8');
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
};
