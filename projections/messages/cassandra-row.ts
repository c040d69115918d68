import type { Audience, MessageOpts, Urgency } from '../../schema/message.js';
import type { CassandraDb, Row } from '../cassandra-db.js';
import { flag, num, optStr, str } from '../cassandra-db.js';
import type { BatchMemo } from '../cassandra-projection.js';
import type { MessageDetails, MessageView } from '../../ports/read-models.js';

// A message's content is copied into each index row that lists it (messages_by_thread,
// broadcasts, inbox_direct): content never changes, so a page is one slice read with no
// look-ups. Only the withdrawal flags change, and those are written to every copy.
export const INDEX_COLUMNS = 'eff, mid, position, sender, msg, opts, urgency, at, scheduled, cancelled, retracted';

/** Where a message's index rows are: enough to flag them when it is cancelled or retracted. */
export interface MessageKeys {
  readonly audience: Audience;
  readonly eff: number;
}

/** Months of (scheduled ?? at) partition the broadcasts: yyyymm, e.g. 202501. */
export const bucketOf = (eff: number): number => {
  const d = new Date(eff);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
};

export const effOf = (e: { readonly at: string; readonly scheduled?: string }): number =>
  Date.parse(e.scheduled ?? e.at);

/**
 * The keys of a message published earlier: from this batch's memo (its writes have not run
 * yet), else from the messages table (earlier batches are written before their checkpoint).
 * Undefined for a message the log never published; its withdrawal then writes nothing.
 */
export const messageKeys = async (db: CassandraDb, memo: BatchMemo, mid: string): Promise<MessageKeys | undefined> => {
  if (memo.messages.has(mid)) return memo.messages.get(mid);
  const [row] = await db.read(`SELECT audience, eff FROM ${db.t('messages')} WHERE mid = ?`, [mid]);
  // Rows are written only from decoded events, so the cast restates what the codec checked.
  const keys =
    row === undefined || row.audience === null
      ? undefined
      : { audience: JSON.parse(str(row.audience)) as Audience, eff: num(row.eff) };
  memo.messages.set(mid, keys);
  return keys;
};

export interface IndexRow {
  readonly eff: number;
  readonly mid: string;
  readonly position: number;
  readonly withdrawn: boolean;
  readonly view: MessageView;
}

export const toView = (r: Row, tid?: string): MessageView => {
  const scheduled = optStr(r.scheduled);
  return {
    mid: str(r.mid),
    ...(tid === undefined ? {} : { tid }),
    from: str(r.sender),
    msg: str(r.msg),
    opts: JSON.parse(str(r.opts)) as MessageOpts,
    urgency: num(r.urgency) as Urgency,
    at: str(r.at),
    ...(scheduled === undefined ? {} : { scheduled }),
  };
};

export const toIndexRow = (r: Row, tid?: string): IndexRow => ({
  eff: num(r.eff),
  mid: str(r.mid),
  position: num(r.position),
  withdrawn: flag(r.cancelled) || flag(r.retracted),
  view: toView(r, tid),
});

export const toDetails = (r: Row, now: Date): MessageDetails => {
  const status = flag(r.retracted)
    ? 'retracted'
    : flag(r.cancelled)
      ? 'cancelled'
      : num(r.eff) > now.getTime()
        ? 'scheduled'
        : 'published';
  return {
    ...toView(r, optStr(r.tid)),
    audience: JSON.parse(str(r.audience)) as Audience,
    status,
    position: num(r.position),
  };
};
