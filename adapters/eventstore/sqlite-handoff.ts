import type { AppendResult, ExpectedRevision } from '../../ports/eventstore.js';
import type { PendingAppend, SerializedEvent } from './sqlite-writer.js';

// The hand-off between the event loop and the embedded log's writer thread
// (sqlite-worker-queue.ts, sqlite-writer-thread.ts): batches and their answers are written into
// shared memory, not posted. A postMessage structured-clones every append object and wakes the
// other thread's event loop; here the main thread copies each append's strings once into a
// SharedArrayBuffer and bumps a counter the writer is blocked on (Atomics.wait), and the writer
// answers with three numbers per append and another counter the main thread awaits
// (Atomics.waitAsync). Rare things (an error's text, a larger request buffer) go by a
// MessagePort that each side drains synchronously (receiveMessageOnPort).

// Node 20 has Atomics.waitAsync (V8); the project's TypeScript lib (ES2022) does not name it.
type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { readonly async: false; readonly value: string } | { readonly async: true; readonly value: Promise<string> };
export const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Indexes into the Int32Array control block. */
export const REQUEST_SEQ = 0;
export const REPLY_SEQ = 1;
export const CLOSING = 2;
export const COMMITTED = 3;
export const CONTROL_BYTES = 16;

/** Answer codes, one Float64 triple per append: [code, a, b]. */
export const APPENDED = 0; // a = nextRevision, b = position
export const CONFLICT = 1; // a = actual revision
export const FAILED = 2; // the text comes by the port, indexed by append

// Expected revisions as one float: a revision (-1 = no stream) is itself; the named ones are
// negative codes; any other number never matches a stream (actual >= -1), so it stays itself
// unless it would collide with a code.
const ANY = -2;
const NO_STREAM = -3;
const STREAM_EXISTS = -4;
const NEVER = -5;
export const encodeExpected = (e: ExpectedRevision): number => {
  if (e === 'any') return ANY;
  if (e === 'no_stream') return NO_STREAM;
  if (e === 'stream_exists') return STREAM_EXISTS;
  return e < -1 ? NEVER : e;
};
export const decodeExpected = (x: number): ExpectedRevision => {
  if (x === ANY) return 'any';
  if (x === NO_STREAM) return 'no_stream';
  if (x === STREAM_EXISTS) return 'stream_exists';
  return x;
};

// UTF-8 takes at most 3 bytes per UTF-16 code unit, so this bounds an append's encoding
// without measuring its strings twice.
export const worstCaseBytes = (a: PendingAppend): number => {
  let n = 16 + 3 * a.stream.length;
  for (const e of a.events) n += 12 + 3 * (e.type.length + e.data.length + e.metadata.length);
  return n;
};

const putString = (buf: Buffer, off: number, s: string): number => {
  const written = buf.write(s, off + 4, 'utf8');
  buf.writeUInt32LE(written, off);
  return off + 4 + written;
};

/**
 * Writes appends from `queue[0..]` into `buf` until one would not fit (or `max` are written);
 * returns how many. The first always fits: the caller sized the buffer for it.
 */
export const encodeBatch = (buf: Buffer, queue: readonly PendingAppend[], max: number): number => {
  let off = 4;
  let count = 0;
  for (const a of queue) {
    if (count === max || off + worstCaseBytes(a) > buf.length) break;
    off = putString(buf, off, a.stream);
    off = buf.writeDoubleLE(encodeExpected(a.expected), off);
    off = buf.writeUInt32LE(a.events.length, off);
    for (const e of a.events) {
      off = putString(buf, off, e.type);
      off = putString(buf, off, e.data);
      off = putString(buf, off, e.metadata);
    }
    count += 1;
  }
  buf.writeUInt32LE(count, 0);
  return count;
};

export const decodeBatch = (buf: Buffer): PendingAppend[] => {
  let off = 4;
  const getString = (): string => {
    const len = buf.readUInt32LE(off);
    const s = buf.toString('utf8', off + 4, off + 4 + len);
    off += 4 + len;
    return s;
  };
  const count = buf.readUInt32LE(0);
  const batch: PendingAppend[] = [];
  for (let i = 0; i < count; i += 1) {
    const stream = getString();
    const expected = decodeExpected(buf.readDoubleLE(off));
    const n = buf.readUInt32LE(off + 8);
    off += 12;
    const events: SerializedEvent[] = [];
    for (let j = 0; j < n; j += 1) events.push({ type: getString(), data: getString(), metadata: getString() });
    batch.push({ stream, expected, events });
  }
  return batch;
};

export const writeOutcome = (out: Float64Array, i: number, r: AppendResult): void => {
  if (r.kind === 'appended') out.set([APPENDED, r.nextRevision, r.position], i * 3);
  else out.set([CONFLICT, r.actual, 0], i * 3);
};

/** The answer to `append` from its triple, or undefined when the writer reported a failure. */
export const readOutcome = (out: Float64Array, i: number, append: PendingAppend): AppendResult | undefined => {
  const code = out[i * 3];
  const a = out[i * 3 + 1] ?? Number.NaN;
  if (code === APPENDED) return { kind: 'appended', nextRevision: a, position: out[i * 3 + 2] ?? Number.NaN };
  if (code === CONFLICT)
    return { kind: 'wrong_expected_revision', stream: append.stream, expected: append.expected, actual: a };
  return undefined;
};
