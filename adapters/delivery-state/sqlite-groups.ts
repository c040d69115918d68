import type { Database } from 'better-sqlite3';
import type { GroupWrite, UnitState, UnitStatus } from '../../schema/delivery-state.js';
import { packGroup, unpackGroup } from '../../schema/group-row.js';
import type { PackedGroup } from '../../schema/group-row.js';

// The steps of one group stream (one channel of one triage batch) as one row, in their packed
// form (schema/group-row.ts): a batched claim or outcome of a few hundred recipients is one row
// rewritten, not one row (and one timer) per recipient. The row is the packed group's JSON, so
// a fold that keeps a group packed writes it without building a unit per step.

export const encodeGroup = (stream: string, units: readonly UnitState[]): string =>
  JSON.stringify(packGroup(stream, units));

export const decodeGroup = (stream: string, text: string): UnitState[] =>
  unpackGroup(stream, JSON.parse(text) as PackedGroup);

export interface GroupRows {
  groups(streams: readonly string[]): Map<string, UnitState[]>;
  /** The same groups as they are stored, packed (a fold that keeps them so). */
  packed(streams: readonly string[]): Map<string, PackedGroup>;
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
  const rows = (streams: readonly string[]): [string, string][] => {
    if (streams.length === 1 && streams[0] !== undefined) {
      const r = one.get(streams[0]);
      return r === undefined ? [] : [[streams[0], r.units]];
    }
    return many.all(JSON.stringify([...new Set(streams)])).map((r) => [r.stream, r.units]);
  };
  return {
    groups: (streams) => {
      const out = new Map<string, UnitState[]>();
      for (const [stream, text] of rows(streams)) out.set(stream, decodeGroup(stream, text));
      return out;
    },
    packed: (streams) => {
      const out = new Map<string, PackedGroup>();
      for (const [stream, text] of rows(streams)) out.set(stream, JSON.parse(text) as PackedGroup);
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
      let node: string | undefined;
      let run: string | undefined;
      const claim = (by: string, of: string): void => {
        if (by === node && of === run) return;
        node = by;
        run = of;
        claims.add(`${by}\n${of}`);
      };
      const { packed } = g;
      // Every packed step's facts are in the group's stream (schema/group-row.ts `fits`).
      for (const p of packed.u) {
        revision = Math.max(revision, p[4]);
        n[p[5]] += 1;
        if (p[5] === 'claimed') claim(p[6] ?? '', p[7] ?? '');
      }
      for (const u of packed.x) {
        if (u.stream === g.stream) revision = Math.max(revision, u.revision);
        const s = u.stage;
        n[s.status] += 1;
        if (s.status === 'claimed') claim(s.node, s.run);
      }
      // deliveries-<mid>/<channel>/<batch>
      const [mid, channel] = g.stream.slice('deliveries-'.length).split('/');
      upsert.run(
        g.stream,
        mid ?? '',
        channel ?? '',
        revision,
        JSON.stringify(packed),
        n.pending,
        n.claimed,
        n.done,
        n.skipped,
        n['given-up'],
      );
      // Who holds claims in the group: a restarted node retakes its earlier runs' at once.
      dropClaims.run(g.stream);
      for (const c of claims) {
        const [by = '', of = ''] = c.split('\n');
        addClaim.run(by, of, g.stream);
      }
    },
  };
};
