// Per-person data keys (docs/gdpr.md). Personal fields in the log are sealed with their
// owner's key; erasing a person destroys their keys, which leaves those fields unreadable
// everywhere the log is copied, without rewriting the log (its hash chain stays valid).
// Embedded: a SQLite table in the data directory; production: a Cassandra table.

export interface DataKey {
  /** Names the key in every field it sealed; never reused, so a destroyed key stays destroyed. */
  readonly kid: string;
  /** 32 bytes (AES-256). */
  readonly key: Uint8Array;
}

export interface KeyStore {
  /** The owner's current key, created on first use (two nodes racing may both create one: both work). */
  keyFor(owner: string): Promise<DataKey>;
  /** The key `kid` of `owner`, or undefined when it was destroyed (or never existed). */
  find(owner: string, kid: string): Promise<Uint8Array | undefined>;
  /** Destroys every key of `owner`; answers how many there were. A later keyFor creates a new one. */
  destroy(owner: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * An external KMS hook (interface only: no implementation ships). With one configured, a key
 * store would keep each data key wrapped by the KMS's master key and unwrap it on use, so a
 * copy of the key table alone opens nothing. Not wired: see docs/gdpr.md.
 */
export interface KeyWrapper {
  wrap(owner: string, key: Uint8Array): Promise<Uint8Array>;
  unwrap(owner: string, wrapped: Uint8Array): Promise<Uint8Array>;
}

/** What the erase command needs of the log's sealing (adapters/eventstore/sealed.ts). */
export interface PersonalData {
  /** Destroys the owner's data keys everywhere this node holds them; how many there were. */
  forget(owner: string): Promise<number>;
}
