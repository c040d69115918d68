// Delivery's planning runs on the node's event loop, beside the HTTP API and the realtime
// fan-out. A large audience is planned page by page, and each page's reads are synchronous
// (SQLite), so without a break the loop stays busy for the whole audience: a publish
// arriving meanwhile, a commit's answer and its live fan-out all waited behind it (issue 15:
// 60-100 ms runs for 2,000 recipients). Long work calls `yieldSlice()` between steps: once the
// loop has been held for SLICE_MS it is given back for one turn (setImmediate: pending I/O,
// the log's answers and the live follower run first), then the work goes on.
export const SLICE_MS = 4;

let sliceStart = performance.now();

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

/** Resolves at once while the current slice lasts, otherwise after one turn of the event loop. */
export const yieldSlice = async (): Promise<void> => {
  if (performance.now() - sliceStart < SLICE_MS) return;
  await nextTurn();
  sliceStart = performance.now();
};
