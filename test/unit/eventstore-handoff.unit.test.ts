import { describe, expect, it } from 'vitest';
import {
  decodeBatch,
  decodeExpected,
  encodeBatch,
  encodeExpected,
  readOutcome,
  worstCaseBytes,
  writeOutcome,
} from '../../adapters/eventstore/sqlite-handoff.js';
import type { PendingAppend } from '../../adapters/eventstore/sqlite-writer.js';

// The shared-memory hand-off between the event loop and the embedded log's writer thread: what
// the main thread writes is exactly what the writer reads, and the answers come back whole.
const append = (stream: string, expected: PendingAppend['expected'], texts: readonly string[]): PendingAppend => ({
  stream,
  expected,
  events: texts.map((t, i) => ({ type: `T${String(i)}`, data: JSON.stringify({ t }), metadata: `{"m":"${t}"}` })),
});
const shared = (bytes: number): Buffer => Buffer.from(new SharedArrayBuffer(bytes));

describe('embedded log hand-off', () => {
  it('reads back every append as written, multi-byte text and empty appends included', () => {
    const batch = [
      append('a', 'no_stream', ['plain']),
      append('message-ü', 3, ['naïve ☃', '𝄞 clef', '']),
      append('b', 'any', []),
      append('c', 'stream_exists', ['x'.repeat(10_000)]),
      append('d', -1, ['last']),
    ];
    const buf = shared(64 * 1024);
    expect(encodeBatch(buf, batch, 100)).toBe(5);
    expect(decodeBatch(buf)).toEqual(batch);
  });

  it('stops at the append that would not fit, and at the batch limit', () => {
    const batch = [append('a', 'any', ['x'.repeat(100)]), append('b', 'any', ['y'.repeat(5000)])];
    const small = shared(worstCaseBytes(batch[0] as PendingAppend) + 8);
    expect(encodeBatch(small, batch, 100)).toBe(1);
    expect(decodeBatch(small)).toEqual(batch.slice(0, 1));
    const big = shared(64 * 1024);
    expect(encodeBatch(big, batch, 1)).toBe(1);
  });

  it('bounds an append by its worst case: three bytes per UTF-16 unit', () => {
    const a = append('s', 'any', ['\u20ac'.repeat(1000)]);
    const buf = shared(worstCaseBytes(a) + 4);
    expect(encodeBatch(buf, [a], 1)).toBe(1);
    expect(decodeBatch(buf)).toEqual([a]);
  });

  it('keeps expected revisions apart: names, -1, revisions, and numbers no stream can have', () => {
    for (const e of ['any', 'no_stream', 'stream_exists', -1, 0, 7, 2 ** 40] as const)
      expect(decodeExpected(encodeExpected(e))).toBe(e);
    // A revision below -1 never matches a stream; it must not turn into a named expectation.
    for (const e of [-2, -3, -4, -100]) expect(typeof decodeExpected(encodeExpected(e))).toBe('number');
  });

  it('answers appended, and a conflict with the append own expected revision and stream', () => {
    const out = new Float64Array(new SharedArrayBuffer(6 * 8));
    const a = append('s', 4, ['x']);
    writeOutcome(out, 0, { kind: 'appended', nextRevision: 5, position: 2 ** 40 });
    writeOutcome(out, 1, { kind: 'wrong_expected_revision', stream: 's', expected: 4, actual: 9 });
    expect(readOutcome(out, 0, a)).toEqual({ kind: 'appended', nextRevision: 5, position: 2 ** 40 });
    expect(readOutcome(out, 1, a)).toEqual({ kind: 'wrong_expected_revision', stream: 's', expected: 4, actual: 9 });
    out[0] = 2;
    expect(readOutcome(out, 0, a)).toBeUndefined();
  });
});
