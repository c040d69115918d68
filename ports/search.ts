import type { DeliveryDoc, MessageDoc, MessageStatus, ReceiptStage, SetName } from '../schema/search-documents.js';
import type { Generations } from './follower.js';
import type { SegmentQuery } from '../schema/segment-query.js';
import type { UserDoc } from '../schema/user-directory.js';
import type { CheckInDoc, OnlineQuery, OnlineTotals } from '../schema/online-time.js';
import type { VariantFunnel } from '../schema/variant-funnel.js';
import type {
  FunnelTotals,
  HistogramBucket,
  HistogramQuery,
  MessageFilter,
  SearchMessagesQuery,
  SearchPage,
  TermsBucket,
  TermsQuery,
} from '../schema/search-query.js';

// The search/analytics store: two document sets (messages, deliveries) fed by the search
// projection, plus the small state that projection keeps in the same store so that any
// node can resume it. Implemented by SQLite (FTS5) for the embedded default and by
// Elasticsearch 8 for production; test/contract/search.contract.ts holds both to one answer.
// The store is kept in generations (a file, a set of indices behind aliases): a rebuild fills
// a new one while queries read the live one, and then swaps them.

/**
 * Writes, each idempotent by its natural key so that a replayed batch changes nothing:
 * - createMessage: stores the document unless its mid exists (content never changes);
 * - setMessageStatus: sets the status of an existing message (none: no-op);
 * - putDelivery: stores the whole document under its id (the projection merges first);
 * - addToSet: adds `uid` to the message's set `status` (a delivery status or a funnel stage); with
 *   `n`, the member stands for n recipients (a live list's count: `uid` is then `#live/<key>`,
 *   never a user id, as `#` is outside the id pattern), and the set's size is the sum of `n`s;
 * - putLive: stores one list of recipients who got the message live (MessageTriaged `live`) under
 *   `key`; the projection writes each uid once per message, so lists of a message are disjoint;
 * - putLiveRef: as putLive, the list being the stored root list `root` whole (a batch that named
 *   its list, MessageTriaged `liveOf`, issue 15): one small row or document per message;
 * - putLiveRoot: stores a list under a root id (`<mid>/<batch>` of the batch that wrote it), once
 *   for every message that names it; never counted, read only through the lists naming it;
 * - recount: sets an existing message's `counts`, `funnel` and `channels` from the sizes of its
 *   sets (schema/search-documents.ts `tallies`; never `+1`).
 * - holdReceipt: stores a receipt from a user the message was not addressed to (yet): it counts
 *   nowhere until a triage addresses them (the projection then merges it as a receipt); keyed by
 *   all its fields, so a replay stores nothing new and the earliest of a user's receipts is kept.
 * - putUser: stores the user directory's whole document under its uid (the projection merges first).
 * - dropUser: removes the user directory's document of `uid` (an erasure; none: no-op).
 * - putCheckIn: stores an online-time document whole under its id (schema/online-time.ts).
 * An erasure (`eraseRecipient`) also removes the user's online-time documents.
 */
export type SearchOp =
  /** `to`: the one user a direct message is addressed to (their erasure blanks it). */
  | { readonly kind: 'createMessage'; readonly doc: MessageDoc; readonly to?: string }
  /** The user was erased: the text of every stored message addressed to them alone is blanked (docs/gdpr.md). */
  | { readonly kind: 'eraseRecipient'; readonly uid: string }
  | { readonly kind: 'setMessageStatus'; readonly mid: string; readonly status: MessageStatus }
  | { readonly kind: 'putDelivery'; readonly doc: DeliveryDoc }
  | {
      readonly kind: 'addToSet';
      readonly mid: string;
      readonly status: SetName;
      readonly uid: string;
      readonly n?: number;
    }
  | { readonly kind: 'putLive'; readonly mid: string; readonly key: string; readonly uids: readonly string[] }
  | { readonly kind: 'putLiveRef'; readonly mid: string; readonly key: string; readonly root: string }
  | { readonly kind: 'putLiveRoot'; readonly root: string; readonly uids: readonly string[] }
  | { readonly kind: 'recount'; readonly mid: string }
  | { readonly kind: 'holdReceipt'; readonly receipt: HeldReceipt }
  | { readonly kind: 'putUser'; readonly doc: UserDoc }
  /** The user was erased (docs/gdpr.md): their directory document goes; later events make a new one. */
  | { readonly kind: 'dropUser'; readonly uid: string }
  | { readonly kind: 'putCheckIn'; readonly doc: CheckInDoc };

/** A receipt the search projection holds back: `uid` was not addressed by `mid` when it came. */
export interface HeldReceipt {
  readonly mid: string;
  readonly uid: string;
  readonly channel: string;
  readonly status: ReceiptStage;
  /** ISO instant of the receipt (its event's occurredAt). */
  readonly at: string;
}

export interface Checkpoint {
  readonly name: string;
  /** Log position of the last event the written batch covers. */
  readonly position: number;
}

export type SearchIndexName = 'messages' | 'deliveries';
export type DocOf<I extends SearchIndexName> = I extends 'messages' ? MessageDoc : DeliveryDoc;

/** What the projection needs. */
export interface SearchWriter {
  /**
   * Applies `ops` in order, then stores the checkpoint (when given), only once every op
   * succeeded; a rejection means the checkpoint was not moved (some ops may have been applied:
   * they are idempotent, and the batch is retried). The follower stores its own checkpoint
   * through the generation's CheckpointStore, in the same place.
   */
  write(ops: readonly SearchOp[], checkpoint?: Checkpoint): Promise<void>;
  /** The stored position of a projection (0 when none). */
  checkpoint(name: string): Promise<number>;
  /** Current documents by id, including writes not yet visible to queries. */
  messages(mids: readonly string[]): Promise<ReadonlyMap<string, MessageDoc>>;
  deliveries(ids: readonly string[]): Promise<ReadonlyMap<string, DeliveryDoc>>;
  users(uids: readonly string[]): Promise<ReadonlyMap<string, UserDoc>>;
  /**
   * Per message, the uids of its stored live lists (putLive; one stored by putLiveRef reads as its
   * root's uids), in no order; a mid without any is absent.
   */
  liveUids(mids: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>>;
  /** The one-recipient members (no `n`) of the named sets of one message. */
  setMembers(mid: string, sets: readonly SetName[]): Promise<readonly { readonly set: string; readonly uid: string }[]>;
  /** Of the given (mid, uid) pairs, those whose uid is a one-recipient member of the message's `f:addressed`: uids by mid. */
  addressed(
    pairs: readonly { readonly mid: string; readonly uid: string }[],
  ): Promise<ReadonlyMap<string, ReadonlySet<string>>>;
  /** The receipts held back (holdReceipt) for each message; a mid without any is absent. */
  heldReceipts(mids: readonly string[]): Promise<ReadonlyMap<string, readonly HeldReceipt[]>>;
  /** Makes every completed write visible to queries. */
  refresh(): Promise<void>;
  /** Drops every document, the projection state and the checkpoints, in place. */
  reset(): Promise<void>;
}

/** What the analytics API asks. Queries see writes after `refresh()` (or the engine's own refresh). */
export interface SearchQueries {
  /** Messages matching the filter, newest first by (at, mid), one page after the cursor. */
  searchMessages(query: SearchMessagesQuery): Promise<SearchPage>;
  /** Counts per value of a field (count desc, then key asc), optionally per value of a second field. */
  terms(query: TermsQuery): Promise<readonly TermsBucket[]>;
  /** The sums of the matching messages' funnels, and how many messages matched. */
  funnel(filter: MessageFilter): Promise<FunnelTotals>;
  /** One message's funnel per A/B variant (schema/variant-funnel.ts), by variant name; [] without variants. */
  variantFunnel(mid: string): Promise<readonly VariantFunnel[]>;
  /** Documents per calendar interval of `at`, oldest first; empty buckets are left out (see fillGaps). */
  histogram(query: HistogramQuery): Promise<readonly HistogramBucket[]>;
  /** Every document of an index in id order, a page at a time (exports, rebuild checks). */
  documents<I extends SearchIndexName>(
    index: I,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<readonly DocOf<I>[]>;
  /** Online time (the nodes' check-ins) in [since, until): totals, per interval, top users. */
  onlineTime(query: OnlineQuery): Promise<OnlineTotals>;
  /** How many directory users the segment query selects. */
  countUsers(query: SegmentQuery): Promise<number>;
  /** The uids the query selects, in uid order (byte order of UTF-8), one page after `after`. */
  selectUsers(
    query: SegmentQuery,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<readonly string[]>;
}

export interface SearchIndex extends SearchWriter, SearchQueries {
  /** The store's generations; this object's queries and writes always go to the live one. */
  readonly generations: Generations<SearchWriter>;
  close(): Promise<void>;
}
