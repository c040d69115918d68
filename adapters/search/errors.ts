/** Infrastructure failure of the search store (the engine refused or could not be reached). */
export class FailedToIndex extends Error {
  override readonly name = 'FailedToIndex';
}
export class FailedToQuery extends Error {
  override readonly name = 'FailedToQuery';
}
