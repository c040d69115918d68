import type { Database } from 'better-sqlite3';
import type { DispatchChannel } from '../../schema/triage-events.js';

export type StepStatus = 'pending' | 'claimed' | 'done' | 'skipped' | 'given-up';
export type StepKind = 'step' | 'digest' | 'member';

export interface StepRow {
  readonly key: string;
  readonly kind: StepKind;
  readonly mid: string | null;
  readonly uid: string;
  readonly channel: DispatchChannel;
  readonly deviceId: string | null;
  readonly digest: string | null;
  readonly collapse: string | null;
  readonly due: number;
  readonly at: number;
  readonly expiresAt: number;
  readonly status: StepStatus;
  /** Attempts claimed so far. */
  readonly attempt: number;
  /** Revision of the unit's stream as folded (-1: no event yet). */
  readonly revision: number;
  readonly claimNode: string | null;
  readonly claimRun: string | null;
  readonly reason: string | null;
  readonly cause: string;
  readonly correlationId: string;
}

interface Row {
  key: string;
  kind: StepKind;
  mid: string | null;
  uid: string;
  channel: DispatchChannel;
  device_id: string | null;
  digest: string | null;
  collapse: string | null;
  due: number;
  at: number;
  expires_at: number;
  status: StepStatus;
  attempt: number;
  revision: number;
  claim_node: string | null;
  claim_run: string | null;
  reason: string | null;
  cause: string;
  correlation: string;
}
const toStep = (r: Row): StepRow => ({
  key: r.key,
  kind: r.kind,
  mid: r.mid,
  uid: r.uid,
  channel: r.channel,
  deviceId: r.device_id,
  digest: r.digest,
  collapse: r.collapse,
  due: r.due,
  at: r.at,
  expiresAt: r.expires_at,
  status: r.status,
  attempt: r.attempt,
  revision: r.revision,
  claimNode: r.claim_node,
  claimRun: r.claim_run,
  reason: r.reason,
  cause: r.cause,
  correlationId: r.correlation,
});

export interface Engagement {
  readonly seen: boolean;
  readonly read: boolean;
}

export interface StepQueries {
  step(key: string): StepRow | undefined;
  /** Members of a digest still waiting for it. */
  pendingMembers(digest: string): StepRow[];
  /** Seen or read by receipt, or read by a last-read marker (inbox-wide, or the message's thread). */
  engagement(uid: string, mid: string, tid: string | undefined): Engagement;
  cancelled(mid: string): boolean;
  /** A newer message with the same collapse key was triaged for the recipient. */
  collapsed(uid: string, ckey: string, mid: string): boolean;
  /** Claims held by an earlier run of this node: that run is gone, so they are stale at once. */
  claimsOfEarlierRuns(node: string, run: string): StepRow[];
  /** Every unit of a message (steps and digest members), for reports and tests. */
  ofMessage(mid: string): StepRow[];
}

export const stepQueries = (db: Database): StepQueries => {
  const step = db.prepare<[string], Row>('SELECT * FROM dl_steps WHERE key = ?');
  const members = db.prepare<[string], Row>(
    `SELECT * FROM dl_steps WHERE digest = ? AND status = 'pending' ORDER BY due DESC, mid DESC`,
  );
  const engaged = db.prepare<[string, string], { seen: number; read: number }>(
    'SELECT seen, read FROM dl_engaged WHERE uid = ? AND mid = ?',
  );
  // Message ids are time-ordered (UUIDv7), so a marker at or past the message covers it.
  const marked = db
    .prepare<[string, string, string], number>(
      `SELECT 1 FROM dl_markers WHERE uid = ? AND scope IN ('', ?) AND mid >= ? LIMIT 1`,
    )
    .pluck();
  const cancelled = db.prepare<[string], number>('SELECT 1 FROM dl_cancelled WHERE mid = ?').pluck();
  const newest = db.prepare<[string, string], string>('SELECT mid FROM dl_collapse WHERE uid = ? AND ckey = ?').pluck();
  const stale = db.prepare<[string, string], Row>(
    `SELECT * FROM dl_steps WHERE status = 'claimed' AND claim_node = ? AND claim_run <> ?`,
  );
  const ofMessage = db.prepare<[string], Row>('SELECT * FROM dl_steps WHERE mid = ? ORDER BY key');
  return {
    step: (key) => {
      const r = step.get(key);
      return r === undefined ? undefined : toStep(r);
    },
    pendingMembers: (digest) => members.all(digest).map(toStep),
    engagement: (uid, mid, tid) => {
      const e = engaged.get(uid, mid);
      const read = e?.read === 1 || marked.get(uid, tid ?? '', mid) === 1;
      return { read, seen: read || e?.seen === 1 };
    },
    cancelled: (mid) => cancelled.get(mid) === 1,
    collapsed: (uid, ckey, mid) => {
      const n = newest.get(uid, ckey);
      return n !== undefined && n !== mid;
    },
    claimsOfEarlierRuns: (node, run) => stale.all(node, run).map(toStep),
    ofMessage: (mid) => ofMessage.all(mid).map(toStep),
  };
};
