import { randomFillSync, randomUUID } from 'node:crypto';
import type { IdGenerator } from '../../ports/ids.js';

// UUIDv7 (RFC 9562): 48-bit unix ms, version, 12 bits of a per-ms counter, variant, 62 random bits.
// The counter keeps ids from one process strictly increasing within the same millisecond.
// Random bytes come from a pool refilled 4 KiB at a time: one getrandom call per 256 ids
// instead of one per id, which showed up in the ingest profile.
const POOL = 4096;
const pool = Buffer.alloc(POOL);
let offset = POOL;
const random16 = (): Buffer => {
  if (offset + 16 > POOL) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = Buffer.from(pool.subarray(offset, offset + 16));
  offset += 16;
  return b;
};

export const createIdGenerator = (now: () => number = Date.now): IdGenerator => {
  let lastMs = 0;
  let seq = 0;
  return {
    messageId: () => {
      let ms = now();
      if (ms <= lastMs) {
        seq += 1;
        if (seq > 0xfff) {
          lastMs += 1;
          seq = 0;
        }
        ms = lastMs;
      } else {
        lastMs = ms;
        seq = 0;
      }
      const b = random16();
      b.writeUIntBE(ms, 0, 6);
      b[6] = 0x70 | (seq >> 8);
      b[7] = seq & 0xff;
      b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    randomId: () => randomUUID(),
  };
};
