import { describe, expect, it } from 'vitest';
import { SLICE_MS, yieldSlice } from '../../../delivery/slice.js';

// Long planning gives the event loop back once it has held it for a slice, and only then.
const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('yieldSlice', () => {
  it('lets queued I/O callbacks run once the loop was held for a slice', async () => {
    busy(SLICE_MS + 1);
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    await yieldSlice();
    expect(ran).toBe(true);
  });

  it('goes on at once within a slice', async () => {
    busy(SLICE_MS + 1);
    await yieldSlice(); // a fresh slice starts here
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    await yieldSlice();
    expect(ran).toBe(false);
  });
});
