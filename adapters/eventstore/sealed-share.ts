import type { SealedField } from '../../schema/personal.js';

// What the main thread sealed, shared with the threads that open the same fields again (issue
// 15): the embedded log's projection workers (read models, search) each looked the data key up
// in the key store and deciphered every message a send appended, a fifth of their CPU and about
// a tenth of all the CPU a send costs across the process's threads. The thread that sealed a
// field puts its plain JSON here, keyed by the exact envelope it made (owner, context, IV and
// ciphertext, compared in full); a reader that meets that envelope takes the plain value, as
// deciphering it would give, and any other envelope (an older event, one from another node, a
// slot overwritten since) is deciphered as before. So nothing is read here that the reader could
// not open itself. An erasure drops its owner's entries (`drop`) before anyone reads the
// UserErased event, as the sealed store's own cache does (sealed-cache.ts).
//
// A SharedArrayBuffer of fixed slots, one writer (the thread that seals: the main thread), any
// number of readers: a slot is chosen by the envelope's random IV, written under a sequence
// number (odd while being written), and a reader keeps what it read only if the number was even
// and unchanged around its read (a seqlock). Fields longer than a slot are not shared.

const SLOTS = 4096;
const SLOT_BYTES = 1024;
const HEADER = 8; // Int32 sequence, Int32 length of the text
const SEP = '\u0000';

export interface SealedShare {
  /** The shared memory, for the readers' threads (`sealedShareReader`). */
  readonly memory: SharedArrayBuffer;
  /** A field this thread just sealed, with its plain value. */
  put(owner: string, context: string, sealed: SealedField, value: unknown): void;
  /** The plain value of exactly this envelope, if it is here. */
  get(owner: string, context: string, sealed: SealedField): { value: unknown } | undefined;
  /** Forgets every field of this owner (an erasure); only the writer drops. */
  drop(owner: string): void;
}

// The IV is 96 random bits in base64: its first characters spread the slots evenly.
const slotOf = (iv: string): number => {
  let h = 0;
  for (let i = 0; i < 6 && i < iv.length; i += 1) h = (h * 64 + iv.charCodeAt(i)) | 0;
  return (h >>> 0) % SLOTS;
};

const view = (memory: SharedArrayBuffer, writer: boolean): SealedShare => {
  const seq = new Int32Array(memory);
  const bytes = Buffer.from(memory);
  const at = (slot: number): number => slot * SLOT_BYTES;
  const read = (slot: number): string | undefined => {
    const i = at(slot) / 4;
    const before = Atomics.load(seq, i);
    if ((before & 1) === 1) return undefined;
    const length = Atomics.load(seq, i + 1);
    if (length === 0) return undefined;
    const text = bytes.toString('utf8', at(slot) + HEADER, at(slot) + HEADER + length);
    return Atomics.load(seq, i) === before ? text : undefined;
  };
  const write = (slot: number, text: string | undefined): void => {
    const i = at(slot) / 4;
    Atomics.add(seq, i, 1);
    const length = text === undefined ? 0 : bytes.write(text, at(slot) + HEADER, 'utf8');
    Atomics.store(seq, i + 1, length);
    Atomics.add(seq, i, 1);
  };
  const key = (owner: string, context: string, sealed: SealedField): string =>
    `${owner}${SEP}${context}${SEP}${sealed.iv}${SEP}${sealed.ct}${SEP}`;
  return {
    memory,
    put: (owner, context, sealed, value) => {
      const json = JSON.stringify(value) as string | undefined;
      if (!writer || json === undefined) return;
      const text = `${key(owner, context, sealed)}${json}`;
      // Too long for a slot: not shared (the slot keeps what it had; its envelope is another's).
      if (Buffer.byteLength(text) > SLOT_BYTES - HEADER) return;
      write(slotOf(sealed.iv), text);
    },
    get: (owner, context, sealed) => {
      const text = read(slotOf(sealed.iv));
      const prefix = key(owner, context, sealed);
      if (text === undefined || !text.startsWith(prefix)) return undefined;
      try {
        return { value: JSON.parse(text.slice(prefix.length)) as unknown };
      } catch {
        return undefined; // not expected (the writer wrote JSON): deciphered as before
      }
    },
    drop: (owner) => {
      if (!writer) return;
      const mine = `${owner}${SEP}`;
      for (let slot = 0; slot < SLOTS; slot += 1) if (read(slot)?.startsWith(mine) === true) write(slot, undefined);
    },
  };
};

/** The writer's side (the thread that seals), with new shared memory. */
export const createSealedShare = (): SealedShare => view(new SharedArrayBuffer(SLOTS * SLOT_BYTES), true);

/** A reader's side over the writer's memory (another thread). */
export const sealedShareReader = (memory: SharedArrayBuffer): SealedShare => view(memory, false);
