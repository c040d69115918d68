import type { ExpectedRevision } from '../../ports/eventstore.js';

// Whether a stream at `actual` (-1: no stream) satisfies an append's expected revision.
export const revisionMatches = (expected: ExpectedRevision, actual: number): boolean => {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === -1;
  if (expected === 'stream_exists') return actual >= 0;
  return expected === actual;
};
