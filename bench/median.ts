// The median every benchmark reports: for an even number of rounds the mean of the two middle
// values (taking either middle value alone biased even-round medians up or down), NaN for none.
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
