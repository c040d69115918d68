import type { Database } from 'better-sqlite3';
import type { GroupWrite, UnitStage, UnitState, UnitStatus } from '../../schema/delivery-state.js';
import type { DispatchChannel } from '../../schema/triage-events.js';

// The steps of one group stream (one channel of one triage batch) as one row: what their plan
// shares (message, channel, urgency, times, cause) once, and per step only what moves (uid,
// device, when, attempt, revision, stage). A batched claim or outcome of a few hundred
// recipients is one row rewritten, not one row (and one timer) per recipient. A step that does
// not fit the shared part is kept whole in the row (`x`): nothing is ever dropped.

interface Shared {
  readonly mid: string;
  readonly channel: DispatchChannel;
  readonly urgency: number;
  readonly due: number;
  readonly expiresAt: number;
  readonly collapse: string | null;
  readonly cause: string;
  readonly correlationId: string;
}

// [uid, deviceId, at, attempt, revision, status, node|reason, run, leaseUntil]
type Packed = [string, string | null, number, number, number, UnitStatus, string?, string?, number?];

interface Stored {
  readonly h: Shared | null;
  readonly u: readonly Packed[];
  readonly x: readonly UnitState[];
}

const keyOf = (mid: string, uid: string, channel: string, deviceId: string | null): string =>
  deviceId === null ? `${mid}/${uid}/${channel}` : `${mid}/${uid}/${channel}/${deviceId}`;

const sharedOf = (u: UnitState): Shared | null =>
  u.mid === null
    ? null
    : {
        mid: u.mid,
        channel: u.channel,
        urgency: u.urgency,
        due: u.due,
        expiresAt: u.expiresAt,
        collapse: u.collapse,
        cause: u.cause,
        correlationId: u.correlationId,
      };

const fits = (u: UnitState, h: Shared, stream: string): boolean =>
  u.kind === 'step' &&
  u.stream === stream &&
  u.digest === null &&
  u.waiting.length === 0 &&
  u.mid === h.mid &&
  u.channel === h.channel &&
  u.urgency === h.urgency &&
  u.due === h.due &&
  u.expiresAt === h.expiresAt &&
  u.collapse === h.collapse &&
  u.cause === h.cause &&
  u.correlationId === h.correlationId &&
  isKeyOf(u.key, h.mid, u.uid, h.channel, u.deviceId);

const SLASH = 47;
// u.key === keyOf(mid, uid, channel, deviceId), compared in place: asked for every step of every
// group written (at plan, claim and outcome), where building the key allocated a string each.
const isKeyOf = (key: string, mid: string, uid: string, channel: string, deviceId: string | null): boolean => {
  const u = mid.length + 1;
  const c = u + uid.length + 1;
  const d = c + channel.length;
  const length = deviceId === null ? d : d + 1 + deviceId.length;
  return (
    key.length === length &&
    key.startsWith(mid) &&
    key.charCodeAt(u - 1) === SLASH &&
    key.startsWith(uid, u) &&
    key.charCodeAt(c - 1) === SLASH &&
    key.startsWith(channel, c) &&
    (deviceId === null || (key.charCodeAt(d) === SLASH && key.startsWith(deviceId, d + 1)))
  );
};

const pack = (u: UnitState): Packed => {
  const s = u.stage;
  if (s.status === 'claimed')
    return [u.uid, u.deviceId, u.at, u.attempt, u.revision, s.status, s.node, s.run, s.leaseUntil];
  if (s.status === 'skipped' || s.status === 'given-up')
    return [u.uid, u.deviceId, u.at, u.attempt, u.revision, s.status, s.reason];
  return [u.uid, u.deviceId, u.at, u.attempt, u.revision, s.status];
};

// Stages and the empty waiting list are values nobody changes: the steps of a row share them
// (a row of a few hundred steps is mostly one or two stages), instead of an object per step.
const PENDING: UnitStage = { status: 'pending' };
const DONE: UnitStage = { status: 'done' };
const NO_WAITING: readonly string[] = [];

const stageOf = (p: Packed, last: UnitStage | undefined): UnitStage => {
  const status = p[5];
  switch (status) {
    case 'claimed': {
      const node = p[6] ?? '';
      const run = p[7] ?? '';
      const leaseUntil = p[8] ?? 0;
      // A job's claims share node, run and lease: the previous step's stage, when it is the same.
      if (
        last?.status === 'claimed' &&
        last.node === node &&
        last.run === run &&
        Object.is(last.leaseUntil, leaseUntil)
      )
        return last;
      return { status, node, run, leaseUntil };
    }
    case 'skipped':
    case 'given-up':
      return { status, reason: p[6] ?? '' };
    case 'pending':
      return PENDING;
    case 'done':
      return DONE;
    default: {
      const unhandled: never = status;
      return unhandled;
    }
  }
};

export const encodeGroup = (stream: string, units: readonly UnitState[]): string => {
  const first = units[0];
  const h = first === undefined ? null : sharedOf(first);
  const u: Packed[] = [];
  const x: UnitState[] = [];
  for (const unit of units) {
    if (h !== null && fits(unit, h, stream)) u.push(pack(unit));
    else x.push(unit);
  }
  const stored: Stored = { h, u, x };
  return JSON.stringify(stored);
};

export const decodeGroup = (stream: string, text: string): UnitState[] => {
  const { h, u, x } = JSON.parse(text) as Stored;
  const out: UnitState[] = [];
  let stage: UnitStage | undefined;
  if (h !== null)
    for (const p of u) {
      stage = stageOf(p, stage);
      out.push({
        mid: h.mid,
        channel: h.channel,
        urgency: h.urgency,
        due: h.due,
        expiresAt: h.expiresAt,
        collapse: h.collapse,
        cause: h.cause,
        correlationId: h.correlationId,
        key: keyOf(h.mid, p[0], h.channel, p[1]),
        kind: 'step',
        uid: p[0],
        deviceId: p[1],
        digest: null,
        at: p[2],
        attempt: p[3],
        revision: p[4],
        stage,
        stream,
        waiting: NO_WAITING,
      });
    }
  for (const w of x) out.push(w);
  return out;
};

export interface GroupRows {
  groups(streams: readonly string[]): Map<string, UnitState[]>;
  /** The groups holding any of the step keys (by each key's message and channel). */
  groupsOf(keys: readonly string[]): Map<string, UnitState[]>;
  revisions(streams: readonly string[]): Map<string, number>;
  /** Streams of groups with claims of `node` by a run other than `run`. */
  claimedByEarlierRuns(node: string, run: string): string[];
  /** Steps per status of a message's groups (the "recent" report). */
  counts(mid: string): Partial<Record<UnitStatus, number>>;
  /** Rewrites a group; call inside the commit's transaction. */
  write(g: GroupWrite): void;
}

interface CountRow {
  pending: number | null;
  claimed: number | null;
  done: number | null;
  skipped: number | null;
  given_up: number | null;
}

export const groupRows = (db: Database): GroupRows => {
  const one = db.prepare<[string], { units: string }>('SELECT units FROM dl_groups WHERE stream = ?');
  const many = db.prepare<[string], { stream: string; units: string }>(
    'SELECT stream, units FROM dl_groups WHERE stream IN (SELECT value FROM json_each(?))',
  );
  const ofMessage = db.prepare<[string, string], { stream: string; units: string }>(
    'SELECT stream, units FROM dl_groups WHERE mid = ? AND channel = ?',
  );
  const revisions = db.prepare<[string], { stream: string; revision: number }>(
    'SELECT stream, revision FROM dl_groups WHERE stream IN (SELECT value FROM json_each(?))',
  );
  const earlier = db
    .prepare<[string, string], string>('SELECT DISTINCT stream FROM dl_group_claims WHERE node = ? AND run <> ?')
    .pluck();
  const counts = db.prepare<[string], CountRow>(
    `SELECT SUM(pending) AS pending, SUM(claimed) AS claimed, SUM(done) AS done, SUM(skipped) AS skipped,
       SUM(given_up) AS given_up FROM dl_groups WHERE mid = ?`,
  );
  const upsert = db.prepare<[string, string, string, number, string, number, number, number, number, number]>(
    `INSERT INTO dl_groups (stream, mid, channel, revision, units, pending, claimed, done, skipped, given_up)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, units = excluded.units, pending = excluded.pending, claimed = excluded.claimed,
       done = excluded.done, skipped = excluded.skipped, given_up = excluded.given_up`,
  );
  const dropClaims = db.prepare<[string]>('DELETE FROM dl_group_claims WHERE stream = ?');
  const addClaim = db.prepare<[string, string, string]>(
    'INSERT OR IGNORE INTO dl_group_claims (node, run, stream) VALUES (?, ?, ?)',
  );
  return {
    groups: (streams) => {
      const out = new Map<string, UnitState[]>();
      if (streams.length === 1 && streams[0] !== undefined) {
        const r = one.get(streams[0]);
        if (r !== undefined) out.set(streams[0], decodeGroup(streams[0], r.units));
        return out;
      }
      for (const r of many.all(JSON.stringify([...new Set(streams)])))
        out.set(r.stream, decodeGroup(r.stream, r.units));
      return out;
    },
    groupsOf: (keys) => {
      const out = new Map<string, UnitState[]>();
      const wanted = new Set(keys);
      const asked = new Set<string>();
      for (const key of keys) {
        const [mid, , channel] = key.split('/');
        if (mid === undefined || channel === undefined || asked.has(`${mid}/${channel}`)) continue;
        asked.add(`${mid}/${channel}`);
        for (const r of ofMessage.all(mid, channel)) {
          const units = decodeGroup(r.stream, r.units);
          if (units.some((u) => wanted.has(u.key))) out.set(r.stream, units);
        }
      }
      return out;
    },
    revisions: (streams) =>
      new Map(revisions.all(JSON.stringify([...new Set(streams)])).map((r) => [r.stream, r.revision])),
    claimedByEarlierRuns: (node, run) => earlier.all(node, run),
    counts: (mid) => {
      const r = counts.get(mid);
      return {
        pending: r?.pending ?? 0,
        claimed: r?.claimed ?? 0,
        done: r?.done ?? 0,
        skipped: r?.skipped ?? 0,
        'given-up': r?.given_up ?? 0,
      };
    },
    write: (g) => {
      const n: Record<UnitStatus, number> = { pending: 0, claimed: 0, done: 0, skipped: 0, 'given-up': 0 };
      const claims = new Set<string>();
      let revision = -1;
      // A group's claims are mostly one job's (one node and run): their key is made once.
      let last: { node: string; run: string } | undefined;
      for (const u of g.units) {
        if (u.stream === g.stream) revision = Math.max(revision, u.revision);
        const s = u.stage;
        n[s.status] += 1;
        if (s.status !== 'claimed' || (last !== undefined && last.node === s.node && last.run === s.run)) continue;
        last = s;
        claims.add(`${s.node}\n${s.run}`);
      }
      // deliveries-<mid>/<channel>/<batch>
      const [mid, channel] = g.stream.slice('deliveries-'.length).split('/');
      upsert.run(
        g.stream,
        mid ?? '',
        channel ?? '',
        revision,
        encodeGroup(g.stream, g.units),
        n.pending,
        n.claimed,
        n.done,
        n.skipped,
        n['given-up'],
      );
      // Who holds claims in the group: a restarted node retakes its earlier runs' at once.
      dropClaims.run(g.stream);
      for (const c of claims) {
        const [node = '', run = ''] = c.split('\n');
        addClaim.run(node, run, g.stream);
      }
    },
  };
};
