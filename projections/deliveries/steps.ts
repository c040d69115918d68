import type { Database } from 'better-sqlite3';
import { digestKey, stepKey } from '../../domain/triage/keys.js';
import type { DomainEvent, EventOf } from '../../schema/events.js';
import type { DeliveryEvent } from '../../schema/triage-events.js';
import { timerStatements } from '../timers/timers.js';
import type { FoldContext } from './fold-context.js';

// The dispatch reactor's fold: a row per planned step (and per digest window) with its state
// and the revision of its stream, the timers that wake the scheduler, and what `nextStep`
// checks (receipts, read markers, cancellations, collapse keys). Delivery events apply only
// past the row's revision, receipts and markers only ever grow: a redelivery changes nothing.
export type StepsFold = (event: DomainEvent, at: FoldContext) => void;

type Triaged = EventOf<'MessageTriaged'>['data'];

export const stepsFold = (db: Database): StepsFold => {
  const timers = timerStatements(db);
  const insert = db.prepare<{
    key: string;
    kind: string;
    mid: string | null;
    uid: string;
    channel: string;
    device_id: string | null;
    digest: string | null;
    collapse: string | null;
    due: number;
    at: number;
    expires_at: number;
    cause: string;
    correlation: string;
  }>(`INSERT OR IGNORE INTO dl_steps (key, kind, mid, uid, channel, device_id, digest, collapse, due, at, expires_at, status, cause, correlation)
      VALUES (:key, :kind, :mid, :uid, :channel, :device_id, :digest, :collapse, :due, :at, :expires_at, 'pending', :cause, :correlation)`);
  // A digest whose window already went out takes a late member in a second round.
  const reopen = db.prepare<[number, string]>(
    `UPDATE dl_steps SET status = 'pending', expires_at = MAX(expires_at, ?) WHERE key = ? AND status IN ('done', 'skipped', 'given-up')`,
  );
  const widen = db.prepare<[number, string]>('UPDATE dl_steps SET expires_at = MAX(expires_at, ?) WHERE key = ?');
  const collapse = db.prepare<[string, string, number, string]>(
    `INSERT INTO dl_collapse (uid, ckey, due, mid) VALUES (?, ?, ?, ?)
     ON CONFLICT (uid, ckey) DO UPDATE SET due = excluded.due, mid = excluded.mid
     WHERE excluded.due > due OR (excluded.due = due AND excluded.mid > mid)`,
  );
  const message = db.prepare<[string, number, number, number, number, number]>(
    `INSERT INTO dl_messages (mid, due, expires_at, recipients, batches, triaged_position) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (mid) DO UPDATE SET recipients = recipients + excluded.recipients, batches = MAX(batches, excluded.batches),
       triaged_position = excluded.triaged_position
     WHERE excluded.triaged_position > triaged_position`,
  );
  const kindOf = db
    .prepare<[string, number], string>('SELECT kind FROM dl_steps WHERE key = ? AND revision < ?')
    .pluck();
  const claimed = db.prepare<[number, number, string, string, string]>(
    `UPDATE dl_steps SET status = 'claimed', attempt = ?, revision = ?, claim_node = ?, claim_run = ? WHERE key = ?`,
  );
  const settle = db.prepare<[string, string | null, number, string]>(
    'UPDATE dl_steps SET status = ?, reason = ?, revision = ? WHERE key = ?',
  );
  const failed = db.prepare<[string, number, string]>('UPDATE dl_steps SET reason = ?, revision = ? WHERE key = ?');
  const retry = db.prepare<[number, number, string]>(
    `UPDATE dl_steps SET status = 'pending', at = ?, revision = ? WHERE key = ?`,
  );
  const members = db.prepare<[string, string | null, string, string]>(
    `UPDATE dl_steps SET status = ?, reason = ? WHERE key = ? AND digest = ? AND status = 'pending'`,
  );
  const engaged = db.prepare<[string, string, number, number]>(
    `INSERT INTO dl_engaged (uid, mid, seen, read) VALUES (?, ?, ?, ?)
     ON CONFLICT (uid, mid) DO UPDATE SET seen = MAX(seen, excluded.seen), read = MAX(read, excluded.read)`,
  );
  const marker = db.prepare<[string, string, string]>(
    'INSERT INTO dl_markers (uid, scope, mid) VALUES (?, ?, ?) ON CONFLICT (uid, scope) DO UPDATE SET mid = MAX(mid, excluded.mid)',
  );
  const cancelled = db.prepare<[string]>('INSERT OR IGNORE INTO dl_cancelled (mid) VALUES (?)');
  // Members that arrived while their digest was out (claimed) go in the next round.
  const leftBehind = db
    .prepare<[string], number>(`SELECT COUNT(*) FROM dl_steps WHERE digest = ? AND status = 'pending'`)
    .pluck();
  const again = db.prepare<[string]>(`UPDATE dl_steps SET status = 'pending' WHERE key = ?`);
  const nextRound = (key: string): void => {
    if ((leftBehind.get(key) ?? 0) === 0) return;
    again.run(key);
    timers.set('digest', key, 0);
  };

  const triaged = (d: Triaged, at: FoldContext): void => {
    const due = Date.parse(d.due);
    const expires = Date.parse(d.expiresAt);
    for (const r of d.recipients) {
      if (d.collapse !== undefined) collapse.run(r.uid, d.collapse, due, d.mid);
      for (const s of r.steps) {
        if (s.channel === 'websocket') continue; // the realtime layer's, not dispatch's
        const key = stepKey({
          mid: d.mid,
          uid: r.uid,
          channel: s.channel,
          ...(s.deviceId === undefined ? {} : { deviceId: s.deviceId }),
        });
        const when = Date.parse(s.at);
        const common = {
          uid: r.uid,
          channel: s.channel,
          collapse: d.collapse ?? null,
          due,
          expires_at: expires,
          cause: at.eventId,
          correlation: at.correlationId,
        };
        if (s.digest === undefined) {
          const fresh = insert.run({
            ...common,
            key,
            kind: 'step',
            mid: d.mid,
            device_id: s.deviceId ?? null,
            digest: null,
            at: when,
          });
          if (fresh.changes === 1) timers.set('step', key, when);
          continue;
        }
        const unit = digestKey(r.uid, s.channel, Date.parse(s.digest));
        insert.run({ ...common, key, kind: 'member', mid: d.mid, device_id: null, digest: unit, at: when });
        const opened = insert.run({
          ...common,
          key: unit,
          kind: 'digest',
          mid: null,
          device_id: null,
          digest: null,
          collapse: null,
          at: when,
          cause: at.eventId,
        });
        if (opened.changes === 1 || reopen.run(expires, unit).changes === 1) timers.set('digest', unit, when);
        else widen.run(expires, unit);
      }
    }
    message.run(d.mid, due, expires, d.recipients.length, d.batch + 1, at.position);
  };

  const delivery = (e: DeliveryEvent, at: FoldContext): void => {
    const d = e.data;
    const kind = kindOf.get(d.key, at.revision) as 'step' | 'digest' | 'member' | undefined;
    if (kind === undefined) return; // unknown unit, or already applied
    const timer = kind === 'digest' ? 'digest' : 'step';
    const forMembers = (status: string, reason: string | null): void => {
      for (const mid of d.mids ?? [])
        members.run(status, reason, stepKey({ mid, uid: d.uid, channel: d.channel }), d.key);
    };
    switch (e.type) {
      case 'DeliveryAttempted':
        claimed.run(e.data.attempt + 1, at.revision, e.data.node, e.data.run, d.key);
        if (kind !== 'member') timers.set(timer, d.key, Date.parse(e.data.leaseUntil));
        return;
      case 'DeliverySucceeded':
        settle.run('done', null, at.revision, d.key);
        timers.clear(timer, d.key);
        forMembers('done', null);
        break;
      case 'DeliveryFailed':
        failed.run(e.data.reason, at.revision, d.key);
        return;
      case 'DeliveryRetryScheduled':
        retry.run(Date.parse(e.data.at), at.revision, d.key);
        timers.set(timer, d.key, Date.parse(e.data.at));
        return;
      case 'DeliveryGivenUp':
        settle.run('given-up', e.data.reason, at.revision, d.key);
        timers.clear(timer, d.key);
        forMembers('given-up', e.data.reason);
        break;
      case 'DeliverySkipped':
        settle.run('skipped', e.data.reason, at.revision, d.key);
        timers.clear(timer, d.key);
        forMembers('skipped', e.data.reason);
        break;
      default: {
        const unhandled: never = e;
        return unhandled;
      }
    }
    if (kind === 'digest') nextRound(d.key);
  };

  return (e, at) => {
    switch (e.type) {
      case 'MessageTriaged':
        triaged(e.data, at);
        return;
      case 'DeliveryAttempted':
      case 'DeliverySucceeded':
      case 'DeliveryFailed':
      case 'DeliveryRetryScheduled':
      case 'DeliveryGivenUp':
      case 'DeliverySkipped':
        delivery(e, at);
        return;
      case 'MessagesAcknowledged': {
        const { status, uid } = e.data;
        if (status === 'delivered') return; // says nothing about whether anyone looked
        const read = status === 'read' || status === 'clicked' ? 1 : 0;
        for (const mid of e.data.mids) engaged.run(uid, mid, 1, read);
        return;
      }
      case 'LastReadMarked':
        marker.run(e.data.uid, e.data.tid ?? '', e.data.mid);
        return;
      case 'MessageCancelled':
      case 'MessageRetracted':
        cancelled.run(e.data.mid);
        return;
      default:
        return;
    }
  };
};
