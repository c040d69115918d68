import type { JsonValue } from '../schema/json.js';
import type { ChannelKind } from './channel.js';
import type { CheckpointStore } from './follower.js';

// What the outbox channel recorded instead of sending, in the embedded data directory
// (outbox.db). Bounded: past `max` entries the oldest are dropped, so a broker left running
// on defaults cannot fill its disk. Read newest first, a page at a time.
export interface OutboxRecord {
  readonly at: string;
  readonly channel: ChannelKind;
  readonly deliveryId: string;
  readonly mid: string;
  /** The recipient's user id (absent for a topic delivery): what an erasure finds their entries by. */
  readonly uid?: string;
  /** The recipient as an admin may see it (tokens, numbers and addresses partly masked). */
  readonly to: string;
  /** The provider request that would have been sent, as the adapter's mapper built it. */
  readonly payload: JsonValue;
}
export interface OutboxEntry extends OutboxRecord {
  readonly id: number;
}
export interface OutboxQuery {
  readonly before?: number;
  readonly limit: number;
  readonly channel?: ChannelKind;
  readonly mid?: string;
}
export interface OutboxPage {
  readonly entries: readonly OutboxEntry[];
  readonly next: number | null;
}

export interface OutboxStore {
  /** Records each entry once per delivery id (a re-dispatched delivery keeps its first entry); returns their ids. */
  record(entries: readonly OutboxRecord[]): Promise<number[]>;
  page(q: OutboxQuery): Promise<OutboxPage>;
  /**
   * GDPR erasure (docs/gdpr.md): removes every entry recorded for `uid` and leaves none of their
   * bytes in the file (deleted content zeroed, the write-ahead log truncated). Returns how many.
   */
  eraseUser(uid: string): Promise<number>;
  /** The checkpoint of the follower that erases (delivery/outbox-erasure.ts), in the same file. */
  readonly checkpoints: CheckpointStore;
  close(): Promise<void>;
}
