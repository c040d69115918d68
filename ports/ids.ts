// Ids come in through this port so that tests can fix them and deciders never make their own.
export interface IdGenerator {
  /** Time-ordered id (UUIDv7): sorts by creation time as a string, so "newest first" is an index order. */
  messageId(): string;
  /** Opaque random id for events, requests and correlation. */
  randomId(): string;
}
