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
// One set, in Int32 units, laid out together so that a take touches a few adjacent cache lines:
// its lock (and a pad), its use counter (Float64), the WAYS hashes (A, B), then per slot the
// bucket's tokens, time and last use (Float64 each).
const SET_USES = 2;
const SET_HASHES = 4;
const SET_SLOTS = SET_HASHES + 2 * WAYS;
const SET_INTS = SET_SLOTS + 6 * WAYS;

/** Tries at a held lock before its holder is taken for dead (tens of milliseconds of spinning). */
const SPIN_LIMIT = 1 << 22;

export type SharedBucketMemory = SharedArrayBuffer;

export const allocateSharedBuckets = (tableSize: number): SharedBucketMemory => {
  const sets = Math.max(1, Math.ceil(tableSize / WAYS));
  // SET_INTS and HEADER are even: every Float64 stays 8-byte aligned.
  const buffer = new SharedArrayBuffer((HEADER + sets * SET_INTS) * 4);
  const header = new Int32Array(buffer, 0, HEADER);
  header[0] = randomInt(2 ** 31);
  header[1] = randomInt(2 ** 31);
  header[2] = sets;
  return buffer;
};

/** A BucketTable (./rate-limits.ts) over `buffer`: the same answers as the Map table for one thread's calls. */
export const sharedBucketTable = (rate: Rate, buffer: SharedBucketMemory) => {
  const ints = new Int32Array(buffer);
  const f64 = new Float64Array(buffer);
  const sets = ints[2] ?? 1;
  const seedA = ints[0] ?? 0;
  const seedB = ints[1] ?? 0;
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
  // A set's first Int32; a slot (0..WAYS-1)'s tokens, time and last use are the Float64 at
  // data + 3·slot, + 1, + 2 where data = (base + SET_SLOTS) / 2.
  const lock = (base: number): void => {
    // Held for a few dozen instructions that cannot throw: spinning is cheaper than waiting.
    // A thread terminated inside them (worker.terminate() stops JS anywhere) would leave the set
    // locked for good; after SPIN_LIMIT tries (tens of milliseconds, far beyond any holder that is
    // running) the lock is taken over: at worst one bucket is updated twice at once (a token
    // too many), never a node whose every request spins.
    for (let spins = 0; Atomics.compareExchange(ints, base, 0, 1) !== 0; spins++)
      if (spins >= SPIN_LIMIT) {
        Atomics.store(ints, base, 1);
        return;
      }
  };
  const unlock = (base: number): void => {
    Atomics.store(ints, base, 0);
  };
  const find = (base: number): number => {
    for (let j = 0, h = base + SET_HASHES; j < WAYS; j++, h += 2)
      if (ints[h] === hashA && ints[h + 1] === hashB) return j;
    return -1;
  };
  /** The slot a new key takes in its set: an empty one, else one refilled by now, else the least recently used. */
  const victim = (base: number, now: number): number => {
    const data = (base + SET_SLOTS) >> 1;
    let oldest = 0;
    for (let j = 0; j < WAYS; j++) {
      const h = base + SET_HASHES + 2 * j;
      if (ints[h] === 0 && ints[h + 1] === 0) {
        Atomics.add(ints, 3, 1);
        return j;
      }
      const d = data + 3 * j;
      if ((f64[d] ?? 0) + (now - (f64[d + 1] ?? 0)) * perMs >= rate.burst) return j;
      if ((f64[d + 2] ?? 0) < (f64[data + 3 * oldest + 2] ?? 0)) oldest = j;
    }
    return oldest;
  };
  const refill = (d: number, now: number): void => {
    const t = f64[d + 1] ?? 0;
    if (now > t) {
      f64[d] = Math.min(rate.burst, (f64[d] ?? 0) + (now - t) * perMs);
      f64[d + 1] = now;
    }
  };
  const wait = (d: number): number => {
    const held = f64[d] ?? 0;
    return held >= 1 ? 0 : Math.max(1, (1 - held) / perMs);
  };
  const baseOf = (): number => HEADER + ((hashA >>> 0) % sets) * SET_INTS;
  const touch = (base: number, d: number): void => {
    const u = (base + SET_USES) >> 1;
    const n = (f64[u] ?? 0) + 1;
    f64[u] = n;
    f64[d + 2] = n;
  };
  return {
    take: (key: string, now: number): number => {
      hash(key);
      const base = baseOf();
      const data = (base + SET_SLOTS) >> 1;
      lock(base);
      let j = find(base);
      let d: number;
      if (j < 0) {
        j = victim(base, now);
        ints[base + SET_HASHES + 2 * j] = hashA;
        ints[base + SET_HASHES + 2 * j + 1] = hashB;
        d = data + 3 * j;
        f64[d] = rate.burst;
        f64[d + 1] = now;
      } else {
        d = data + 3 * j;
        refill(d, now);
      }
      touch(base, d);
      const ms = wait(d);
      if (ms === 0) f64[d] = (f64[d] ?? 0) - 1;
      unlock(base);
      return ms;
    },
    peek: (key: string, now: number): number => {
      hash(key);
      const base = baseOf();
      lock(base);
      const j = find(base);
      let ms = 0;
      if (j >= 0) {
        const d = ((base + SET_SLOTS) >> 1) + 3 * j;
        refill(d, now);
        touch(base, d);
        ms = wait(d);
      }
      unlock(base);
      return ms;
    },
    size: (): number => Atomics.load(ints, 3),
  };
};
