// How a provider counts a rate limit: the most sends any half-open window of `ms` (a second by
// default) holds. Shared by the throttle tests, unit (the bucket, the gates) and end-to-end (the
// outbox's send times).
export const busiestSecond = (times: readonly number[], ms = 1000): number => {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi += 1) {
    while ((sorted[hi] ?? 0) - (sorted[lo] ?? 0) >= ms) lo += 1;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
};
