import type { Database } from 'better-sqlite3';
import type { PublishedData } from './directory-queries.js';
import type { StepStatus } from './step-queries.js';

// msgxc's two reports, from the reactors' read models: scheduled messages still to come,
// and recently triaged messages with where their deliveries stand. For the admin API
// (GET /api/v2/messages?scheduled=upcoming|recent) and operators.

export interface UpcomingMessage {
  readonly mid: string;
  readonly scheduled: string;
  readonly from: string;
  readonly audience: PublishedData['audience']['kind'];
  readonly tid?: string;
  readonly urgency: number;
  readonly msg: string;
}

export interface RecentMessage {
  readonly mid: string;
  readonly due: string;
  readonly expiresAt: string;
  readonly recipients: number;
  readonly batches: number;
  /** Delivery units (steps and digest members) by state. */
  readonly steps: Readonly<Record<StepStatus, number>>;
}

export interface Reports {
  /** Scheduled messages not yet due (nor cancelled), soonest first. */
  upcoming(limit: number): UpcomingMessage[];
  /** Triaged messages, most recently triaged first. */
  recent(limit: number): RecentMessage[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const reports = (db: Database): Reports => {
  const upcoming = db.prepare<[number], { key: string; due_at: number; data: string }>(
    `SELECT t.key, t.due_at, m.data FROM timers t JOIN dir_messages m ON m.mid = t.key
     WHERE t.kind = 'publish' AND m.status = 'scheduled' ORDER BY t.due_at, t.key LIMIT ?`,
  );
  const recent = db.prepare<
    [number],
    { mid: string; due: number; expires_at: number; recipients: number; batches: number }
  >('SELECT mid, due, expires_at, recipients, batches FROM dl_messages ORDER BY triaged_position DESC LIMIT ?');
  const counts = db.prepare<[string], { status: StepStatus; n: number }>(
    `SELECT status, COUNT(*) AS n FROM dl_steps WHERE mid = ? AND kind <> 'digest' GROUP BY status`,
  );
  return {
    upcoming: (limit) =>
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
    recent: (limit) =>
      recent.all(limit).map((r) => {
        const steps: Record<StepStatus, number> = { pending: 0, claimed: 0, done: 0, skipped: 0, 'given-up': 0 };
        for (const c of counts.all(r.mid)) steps[c.status] = c.n;
        return {
          mid: r.mid,
          due: iso(r.due),
          expiresAt: iso(r.expires_at),
          recipients: r.recipients,
          batches: r.batches,
          steps,
        };
      }),
  };
};
