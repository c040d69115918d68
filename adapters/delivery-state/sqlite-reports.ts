import type { Database } from 'better-sqlite3';
import type { DeliveryReports } from '../../ports/delivery-state.js';
import type { PublishedData, UnitStatus } from '../../schema/delivery-state.js';
import type { GroupRows } from './sqlite-groups.js';

// msgxc's two reports from delivery's state: scheduled messages still to come, and recently
// triaged messages with where their deliveries stand. For the admin API
// (GET /api/v2/messages?scheduled=upcoming|recent) and operators.

const iso = (ms: number): string => new Date(ms).toISOString();

export const sqliteReports = (db: Database, groups: GroupRows): DeliveryReports => {
  const upcoming = db.prepare<[number], { key: string; due_at: number; data: string }>(
    `SELECT t.key, t.due_at, m.data FROM timers t JOIN dir_messages m ON m.mid = t.key
     WHERE t.kind = 'publish' AND m.status = 'scheduled' ORDER BY t.due_at, t.key LIMIT ?`,
  );
  const recent = db.prepare<
    [number],
    { mid: string; due: number; expires_at: number; recipients: number; batches: number }
  >('SELECT mid, due, expires_at, recipients, batches FROM dl_messages ORDER BY triaged_position DESC LIMIT ?');
  const counts = db.prepare<[string], { status: UnitStatus; n: number }>(
    `SELECT status, COUNT(*) AS n FROM dl_units WHERE mid = ? AND kind <> 'digest' GROUP BY status`,
  );
  return {
    upcoming: (limit) =>
      Promise.resolve(
        upcoming.all(limit).map((r) => {
          const d = JSON.parse(r.data) as PublishedData;
          return {
            mid: r.key,
            scheduled: iso(r.due_at),
            from: d.from,
            audience: d.audience.kind,
            urgency: d.urgency,
            msg: d.msg,
            ...(d.audience.kind === 'thread' ? { tid: d.audience.tid } : {}),
          };
        }),
      ),
    recent: (limit) =>
      Promise.resolve(
        recent.all(limit).map((r) => {
          const steps: Record<UnitStatus, number> = { pending: 0, claimed: 0, done: 0, skipped: 0, 'given-up': 0 };
          for (const c of counts.all(r.mid)) steps[c.status] = c.n;
          for (const [status, n] of Object.entries(groups.counts(r.mid))) steps[status as UnitStatus] += n;
          return {
            mid: r.mid,
            due: iso(r.due),
            expiresAt: iso(r.expires_at),
            recipients: r.recipients,
            batches: r.batches,
            steps,
          };
        }),
      ),
  };
};
