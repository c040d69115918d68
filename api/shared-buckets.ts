import { randomInt } from 'node:crypto';
import type { Rate } from '../schema/config-limits.js';

// One kind of limit's token buckets in shared memory, so that every HTTP thread of a node
// (MSGXC_HTTP_THREADS) spends from the same buckets: the budgets are per node whatever the
// thread count (docs/limits.md). The main thread allocates the memory; each worker gets it in
// its workerData and wraps it with sharedBucketTable.
//
// Fixed slots, grouped in sets of WAYS: a key lives only in the set its hash names, so the
// probe is at most WAYS slots, and one lock per set makes "find the key, or take a slot for
// it" atomic (per-slot locks would let two threads insert the same new key in two slots).
// A slot holds the key's 64-bit hash (two Int32, seeded per node so keys cannot be crafted
// offline to collide; 0,0 marks an empty slot), the bucket's tokens and time, and when it was
// last used (a per-set counter: many keys arrive within one millisecond), as Float64, read and
// written only while the set's lock is held.
//
// Memory is fixed at allocation whatever callers send. A new key in a full set replaces, in
// this order, a bucket that has refilled to its burst by now (forgetting it changes nothing),
// else the bucket used least recently. Either way its owner gets a full bucket back, as when
// the Map table's old generation is dropped. A bucket still short of its burst is lost only
// once WAYS newer keys landed in its set, about `tableSize` other keys on average (the Map
// table: tableSize/2 at least) within the time it takes to refill (2 s at the defaults); the
// seed keeps a caller from choosing keys that land in one set. Each kind has its own memory,
// so keys churned in one kind (addresses) never push out another's (users).
const WAYS = 8;
// Int32 header: two hash seeds, the number of sets, the number of slots in use.
const HEADER = 4;

export type SharedBucketMemory = SharedArrayBuffer;

export const allocateSharedBuckets = (tableSize: number): SharedBucketMemory => {
  const sets = Math.max(1, Math.ceil(tableSize / WAYS));
  const slots = sets * WAYS;
  // Int32 header; Float64 (8-aligned after the 16-byte header) tokens, at, used per slot and a
  // use counter per set; Int32 locks per set and hashes per slot.
  const buffer = new SharedArrayBuffer(HEADER * 4 + (slots * 3 + sets) * 8 + (sets + slots * 2) * 4);
  const header = new Int32Array(buffer, 0, HEADER);
  header[0] = randomInt(2 ** 31);
  header[1] = randomInt(2 ** 31);
  header[2] = sets;
  return buffer;
};

/** A BucketTable (./rate-limits.ts) over `buffer`: the same answers as the Map table for one thread's calls. */
export const sharedBucketTable = (rate: Rate, buffer: SharedBucketMemory) => {
  const header = new Int32Array(buffer);
  const sets = header[2] ?? 1;
  const slots = sets * WAYS;
  const tokens = new Float64Array(buffer, HEADER * 4, slots);
  const at = new Float64Array(buffer, HEADER * 4 + slots * 8, slots);
  const used = new Float64Array(buffer, HEADER * 4 + slots * 16, slots);
  const uses = new Float64Array(buffer, HEADER * 4 + slots * 24, sets);
  const seedA = header[0] ?? 0;
  const seedB = header[1] ?? 0;
  const LOCKS = HEADER + (slots * 3 + sets) * 2;
  const HASHES = LOCKS + sets;
  const perMs = rate.perSec / 1000;

  let hashA = 0;
  let hashB = 0;
  const hash = (key: string): void => {
    let a = seedA ^ 0x811c9dc5;
    let b = seedB ^ 0x5bd1e995;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    // Final mixing (murmur3's fmix32) so that every bit of a picks the set.
    a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
    a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
    hashA = a ^ (a >>> 16);
    b = Math.imul(b ^ (b >>> 16), 0x85ebca6b);
    hashB = b ^ (b >>> 13);
    if (hashA === 0 && hashB === 0) hashB = 1;
  };
  const lock = (set: number): void => {
    // Held for a few dozen instructions that cannot throw: spinning is cheaper than waiting.
    while (Atomics.compareExchange(header, LOCKS + set, 0, 1) !== 0);
  };
  const unlock = (set: number): void => {
    Atomics.store(header, LOCKS + set, 0);
  };
  const find = (first: number): number => {
    for (let s = first; s < first + WAYS; s++)
      if (header[HASHES + 2 * s] === hashA && header[HASHES + 2 * s + 1] === hashB) return s;
    return -1;
  };
  /** The slot a new key takes in its set: an empty one, else one refilled by now, else the least recently used. */
  const victim = (first: number, now: number): number => {
    let oldest = first;
    for (let s = first; s < first + WAYS; s++) {
      if (header[HASHES + 2 * s] === 0 && header[HASHES + 2 * s + 1] === 0) {
        Atomics.add(header, 3, 1);
        return s;
      }
      if ((tokens[s] ?? 0) + (now - (at[s] ?? 0)) * perMs >= rate.burst) return s;
      if ((used[s] ?? 0) < (used[oldest] ?? 0)) oldest = s;
    }
    return oldest;
  };
  const refill = (s: number, now: number): void => {
    const t = at[s] ?? 0;
    if (now > t) {
      tokens[s] = Math.min(rate.burst, (tokens[s] ?? 0) + (now - t) * perMs);
      at[s] = now;
    }
  };
  const wait = (s: number): number => {
    const held = tokens[s] ?? 0;
    return held >= 1 ? 0 : Math.max(1, (1 - held) / perMs);
  };
  const setOf = (): number => (hashA >>> 0) % sets;
  const touch = (set: number, s: number): void => {
    const n = (uses[set] ?? 0) + 1;
    uses[set] = n;
    used[s] = n;
  };
  return {
    take: (key: string, now: number): number => {
      hash(key);
      const set = setOf();
      const first = set * WAYS;
      lock(set);
      let s = find(first);
      if (s < 0) {
        s = victim(first, now);
        header[HASHES + 2 * s] = hashA;
        header[HASHES + 2 * s + 1] = hashB;
        tokens[s] = rate.burst;
        at[s] = now;
      } else refill(s, now);
      touch(set, s);
      const ms = wait(s);
      if (ms === 0) tokens[s] = (tokens[s] ?? 0) - 1;
      unlock(set);
      return ms;
    },
    peek: (key: string, now: number): number => {
      hash(key);
      const set = setOf();
      lock(set);
      const s = find(set * WAYS);
      let ms = 0;
      if (s >= 0) {
        refill(s, now);
        touch(set, s);
        ms = wait(s);
      }
      unlock(set);
      return ms;
    },
    size: (): number => Atomics.load(header, 3),
  };
};
