import type { Database } from 'better-sqlite3';
import type { UnitReads } from '../../ports/delivery-state.js';
import type { DeliveryChange, UnitKind, UnitStage, UnitState, UnitStatus } from '../../schema/delivery-state.js';
import type { DispatchChannel } from '../../schema/triage-events.js';
import type { GroupRows } from './sqlite-groups.js';

// The delivery units and what dispatch checks before each step, in SQLite. A unit is stored
// whole on every change (its fold is domain/delivery/units.ts); the other changes are upserts
// that only grow (receipts, markers), are final (cancellations) or are guarded (collapse keys
// by due time, triaged counts by position).

interface Row {
  key: string;
  kind: UnitKind;
  mid: string | null;
  uid: string;
  channel: DispatchChannel;
  device_id: string | null;
  digest: string | null;
  collapse: string | null;
  urgency: number;
  due: number;
  at: number;
  expires_at: number;
  status: UnitStatus;
  attempt: number;
  stream: string;
  revision: number;
  claim_node: string | null;
  claim_run: string | null;
  lease_until: number | null;
  reason: string | null;
  waiting: string;
  cause: string;
  correlation: string;
}

const stageOf = (r: Row): UnitStage => {
  switch (r.status) {
    case 'claimed':
      return { status: 'claimed', node: r.claim_node ?? '', run: r.claim_run ?? '', leaseUntil: r.lease_until ?? 0 };
    case 'skipped':
    case 'given-up':
      return { status: r.status, reason: r.reason ?? '' };
    case 'pending':
    case 'done':
      return { status: r.status };
    default: {
      const unhandled: never = r.status;
      return unhandled;
    }
  }
};

const toUnit = (r: Row): UnitState => ({
  key: r.key,
  kind: r.kind,
  mid: r.mid,
  uid: r.uid,
  channel: r.channel,
  deviceId: r.device_id,
  digest: r.digest,
  collapse: r.collapse,
  urgency: r.urgency,
  due: r.due,
  at: r.at,
  expiresAt: r.expires_at,
  stage: stageOf(r),
  attempt: r.attempt,
  stream: r.stream,
  revision: r.revision,
  waiting: JSON.parse(r.waiting) as string[],
  cause: r.cause,
  correlationId: r.correlation,
});

const toRow = (u: UnitState): Row => {
  const s = u.stage;
  return {
    key: u.key,
    kind: u.kind,
    mid: u.mid,
    uid: u.uid,
    channel: u.channel,
    device_id: u.deviceId,
    digest: u.digest,
    collapse: u.collapse,
    urgency: u.urgency,
    due: u.due,
    at: u.at,
    expires_at: u.expiresAt,
    status: s.status,
    attempt: u.attempt,
    stream: u.stream,
    revision: u.revision,
    claim_node: s.status === 'claimed' ? s.node : null,
    claim_run: s.status === 'claimed' ? s.run : null,
    lease_until: s.status === 'claimed' ? s.leaseUntil : null,
    reason: s.status === 'skipped' || s.status === 'given-up' ? s.reason : null,
    waiting: JSON.stringify(u.waiting),
    cause: u.cause,
    correlation: u.correlationId,
  };
};

const FEW = 8;

export const unitReads = (db: Database, groups: GroupRows): UnitReads => {
  const one = db.prepare<[string], Row>('SELECT * FROM dl_units WHERE key = ?');
  const many = db.prepare<[string], Row>('SELECT * FROM dl_units WHERE key IN (SELECT value FROM json_each(?))');
  const engaged = db.prepare<[string, string], { seen: number; read: number }>(
    'SELECT seen, read FROM dl_engaged WHERE uid = ? AND mid = ?',
  );
  // Message ids are time-ordered (UUIDv7), so a marker at or past the message covers it.
  const marked = db
    .prepare<[string, string, string], number>(
      `SELECT 1 FROM dl_markers WHERE uid = ? AND scope IN ('', ?) AND mid >= ? LIMIT 1`,
    )
    .pluck();
  // The same for a job's recipients of one message: one statement each, not two per recipient.
  const engagedMany = db.prepare<[string, string], { uid: string; seen: number; read: number }>(
    'SELECT uid, seen, read FROM dl_engaged WHERE mid = ? AND uid IN (SELECT value FROM json_each(?))',
  );
  const markedMany = db
    .prepare<[string, string, string], string>(
      `SELECT DISTINCT uid FROM dl_markers WHERE uid IN (SELECT value FROM json_each(?)) AND scope IN ('', ?) AND mid >= ?`,
    )
    .pluck();
  const newerMany = db
    .prepare<[string, string, string], string>(
      'SELECT uid FROM dl_collapse WHERE uid IN (SELECT value FROM json_each(?)) AND ckey = ? AND mid <> ?',
    )
    .pluck();
  const cancelled = db.prepare<[string], number>('SELECT 1 FROM dl_cancelled WHERE mid = ?').pluck();
  const newest = db.prepare<[string, string], string>('SELECT mid FROM dl_collapse WHERE uid = ? AND ckey = ?').pluck();
  const stale = db.prepare<[string, string], Row>(
    `SELECT * FROM dl_units WHERE status = 'claimed' AND claim_node = ? AND claim_run <> ?`,
  );
  return {
    get: (keys) => {
      const out = new Map<string, UnitState>();
      // A batch's or a job's units in one statement (a point read each cost more in calls
      // than in SQLite); a few keys one by one.
      if (keys.length > FEW) {
        for (const r of many.all(JSON.stringify([...new Set(keys)]))) out.set(r.key, toUnit(r));
        return Promise.resolve(out);
      }
      for (const key of keys) {
        if (out.has(key)) continue;
        const r = one.get(key);
        if (r !== undefined) out.set(key, toUnit(r));
      }
      return Promise.resolve(out);
    },
    engagement: (uid, mid, tid) => {
      const e = engaged.get(uid, mid);
      const read = e?.read === 1 || marked.get(uid, tid ?? '', mid) === 1;
      return Promise.resolve({ read, seen: read || e?.seen === 1 });
    },
    engagements: (uids, mid, tid) => {
      const list = JSON.stringify([...new Set(uids)]);
      const out = new Map<string, { seen: boolean; read: boolean }>();
      for (const uid of uids) out.set(uid, { seen: false, read: false });
      for (const e of engagedMany.all(mid, list))
        out.set(e.uid, { seen: e.seen === 1 || e.read === 1, read: e.read === 1 });
      for (const uid of markedMany.all(list, tid ?? '', mid)) out.set(uid, { seen: true, read: true });
      return Promise.resolve(out);
    },
    cancelled: (mid) => Promise.resolve(cancelled.get(mid) === 1),
    collapsed: (uid, ckey, mid) => {
      const n = newest.get(uid, ckey);
      return Promise.resolve(n !== undefined && n !== mid);
    },
    collapsedAmong: (uids, ckey, mid) =>
      Promise.resolve(new Set(newerMany.all(JSON.stringify([...new Set(uids)]), ckey, mid))),
    groups: (streams) => Promise.resolve(streams.length === 0 ? new Map() : groups.groups(streams)),
    packedGroups: (streams) => Promise.resolve(streams.length === 0 ? new Map() : groups.packed(streams)),
    groupRevisions: (streams) => Promise.resolve(streams.length === 0 ? new Map() : groups.revisions(streams)),
    groupsOf: (keys) => Promise.resolve(keys.length === 0 ? new Map() : groups.groupsOf(keys)),
    claimsOfEarlierRuns: (node, run) => {
      const grouped = [...groups.groups(groups.claimedByEarlierRuns(node, run)).values()]
        .flat()
        .filter((u) => u.stage.status === 'claimed' && u.stage.node === node && u.stage.run !== run);
      return Promise.resolve([...stale.all(node, run).map(toUnit), ...grouped]);
    },
  };
};

/** Stores units and applies delivery changes; call inside the commit's transaction. */
export const unitWriter = (db: Database): { unit: (u: UnitState) => void; change: (c: DeliveryChange) => void } => {
  const upsert = db.prepare<Row>(
    `INSERT INTO dl_units (key, kind, mid, uid, channel, device_id, digest, collapse, urgency, due, at, expires_at, status, attempt,
       stream, revision, claim_node, claim_run, lease_until, reason, waiting, cause, correlation)
     VALUES (:key, :kind, :mid, :uid, :channel, :device_id, :digest, :collapse, :urgency, :due, :at, :expires_at, :status, :attempt,
       :stream, :revision, :claim_node, :claim_run, :lease_until, :reason, :waiting, :cause, :correlation)
     ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, at = excluded.at, status = excluded.status,
       attempt = excluded.attempt, stream = excluded.stream, revision = excluded.revision, claim_node = excluded.claim_node,
       claim_run = excluded.claim_run, lease_until = excluded.lease_until, reason = excluded.reason,
       waiting = excluded.waiting`,
  );
  const engaged = db.prepare<[string, string, number, number]>(
    `INSERT INTO dl_engaged (uid, mid, seen, read) VALUES (?, ?, ?, ?)
     ON CONFLICT (uid, mid) DO UPDATE SET seen = MAX(seen, excluded.seen), read = MAX(read, excluded.read)`,
  );
  const marker = db.prepare<[string, string, string]>(
    'INSERT INTO dl_markers (uid, scope, mid) VALUES (?, ?, ?) ON CONFLICT (uid, scope) DO UPDATE SET mid = MAX(mid, excluded.mid)',
  );
  const cancelled = db.prepare<[string]>('INSERT OR IGNORE INTO dl_cancelled (mid) VALUES (?)');
  const collapse = db.prepare<[string, string, number, string]>(
    `INSERT INTO dl_collapse (uid, ckey, due, mid) VALUES (?, ?, ?, ?)
     ON CONFLICT (uid, ckey) DO UPDATE SET due = excluded.due, mid = excluded.mid
     WHERE excluded.due > due OR (excluded.due = due AND excluded.mid > mid)`,
  );
  const triaged = db.prepare<[string, number, number, number, number, number]>(
    `INSERT INTO dl_messages (mid, due, expires_at, recipients, batches, triaged_position) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (mid) DO UPDATE SET recipients = recipients + excluded.recipients, batches = MAX(batches, excluded.batches),
       triaged_position = excluded.triaged_position
     WHERE excluded.triaged_position > triaged_position`,
  );
  return {
    unit: (u) => {
      upsert.run(toRow(u));
    },
    change: (c) => {
      switch (c.type) {
        case 'engaged':
          engaged.run(c.uid, c.mid, c.seen ? 1 : 0, c.read ? 1 : 0);
          return;
        case 'read-marker':
          marker.run(c.uid, c.scope, c.mid);
          return;
        case 'cancelled':
          cancelled.run(c.mid);
          return;
        case 'collapse':
          collapse.run(c.uid, c.ckey, c.due, c.mid);
          return;
        case 'triaged':
          triaged.run(c.mid, c.due, c.expiresAt, c.recipients, c.batch + 1, c.position);
          return;
        default: {
          const unhandled: never = c;
          return unhandled;
        }
      }
    },
  };
};
