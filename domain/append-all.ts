// Appends `items` to `into` one by one. `into.push(...items)` passes every item as an argument
// on the stack, which overflows ("Maximum call stack size exceeded") past roughly 100,000 items:
// a 100,000-user broadcast's batch of funnel marks did, and the search projection retried that
// batch forever. Use this wherever the number of items grows with an audience or a batch.
export const appendAll = <T>(into: T[], items: Iterable<T>): void => {
  for (const x of items) into.push(x);
};
