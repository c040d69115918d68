// Remembers the first answer to each (caller, Idempotency-Key) so a retried command gets the
// same answer. A record is reserved before the command runs, carrying the message id the
// command will use: if the process dies before the answer is stored, the retry reuses that
// id and the log's "no stream yet" guard keeps the message from being published twice.
export interface StoredResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface IdempotencyRecord {
  readonly scope: string;
  readonly requestHash: string;
  readonly mid: string;
  readonly createdAt: number;
  /**
   * The process that reserved it (`<node id>/<boot id>`): another node leaves a reservation
   * without an answer alone while it is young (its command may still be running there).
   */
  readonly owner?: string;
  readonly response?: StoredResponse;
}

export interface IdempotencyStore {
  /** Inserts the record unless one exists for the scope; returns whichever is stored. */
  reserve(record: IdempotencyRecord): Promise<IdempotencyRecord>;
  complete(scope: string, response: StoredResponse): Promise<void>;
  /**
   * Forgets records created before `olderThan` (epoch ms); returns how many, or undefined
   * where the engine forgets them by itself and cannot count them (JetStream KV's max age).
   */
  expire(olderThan: number): Promise<number | undefined>;
  close(): Promise<void>;
}
