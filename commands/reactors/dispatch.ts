import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Channel, Content, Delivery, Outcome, Recipient } from '../../ports/channel.js';
import type { Clock } from '../../ports/clock.js';
import type { EventStore } from '../../ports/eventstore.js';
import { nextStep } from '../../domain/triage/escalation.js';
import { deliveryStream, digestStream } from '../../domain/triage/keys.js';
import { afterOutcome, DEFAULT_RETRY_POLICY } from '../../domain/triage/retry.js';
import type { RetryPolicy } from '../../domain/triage/retry.js';
import type { SkipReason } from '../../domain/triage/types.js';
import { directoryQueries } from '../../projections/deliveries/directory-queries.js';
import { stepQueries } from '../../projections/deliveries/step-queries.js';
import type { StepRow } from '../../projections/deliveries/step-queries.js';
import { LIMITS } from '../../schema/bounds.js';
import { asDeviceId, asUserId } from '../../schema/ids.js';
import type { DeliveryEvent, DispatchChannel } from '../../schema/triage-events.js';
import type { RevokeDevice } from '../revoke-device.js';
import { REACTOR_ACTOR, reactorAppend } from './append.js';
import { outcomeEvents, refData } from './outcomes.js';
import type { Ref } from './outcomes.js';
import type { ChannelMap, ReactorLog } from './ports.js';
import { markersOf, outgoing, recipientOf } from './targets.js';

// Dispatch: performs due steps through the Channel port. For each unit (a step, or a digest
// window) it asks `nextStep`; a skip is recorded as DeliverySkipped. A unit to send is first
// CLAIMED by appending DeliveryAttempted at the unit stream's expected revision (so only
// one dispatcher ever sends a given attempt), then handed to its channel in batches, then
// the outcome is appended at the claim's revision. At-least-once: if the process dies
// between the claim and the outcome, the claim lapses (at once for a restart of the same
// node, after `leaseMs` otherwise) and the unit is sent again, once; the delivery id is the
// same both times, so a provider that deduplicates (or the outbox) sees one delivery.

export interface DispatchSettings {
  /** Most deliveries per call of each channel (FCM 500 per request, SendGrid 1000 personalizations). */
  readonly batchSizes: Readonly<Record<DispatchChannel, number>>;
  /** How long a claim holds before another dispatcher may take the unit over. */
  readonly leaseMs: number;
  readonly retry: RetryPolicy;
}

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = {
  batchSizes: { fcm: 500, apns: 500, webpush: 100, email: 1000, sms: 100 },
  leaseMs: 120_000,
  retry: DEFAULT_RETRY_POLICY,
};

export interface DispatcherDeps {
  readonly db: Database;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly channels: ChannelMap;
  readonly settings: DispatchSettings;
  readonly node: string;
  readonly run: string;
  readonly random: () => number;
  readonly revokeDevice?: RevokeDevice;
  readonly log: ReactorLog;
  readonly stopped: () => boolean;
}

export interface Dispatcher {
  steps(rows: readonly StepRow[]): Promise<void>;
  digest(row: StepRow): Promise<void>;
  /** This node wrote to the unit's stream past what the fold has applied: wait for the fold. */
  isAhead(row: StepRow): boolean;
}

interface Ready {
  readonly row: StepRow;
  readonly ref: Ref;
  readonly recipient: Recipient;
  readonly content: Content;
  readonly id: string;
}
interface Claimed extends Ready {
  readonly attempt: number;
  readonly revision: number;
}

const MAX_REMEMBERED = 200_000;
const streamOf = (row: StepRow): string => (row.kind === 'digest' ? digestStream(row.key) : deliveryStream(row.key));

export const createDispatcher = (d: DispatcherDeps): Dispatcher => {
  const dir = directoryQueries(d.db);
  const steps = stepQueries(d.db);
  const append = reactorAppend(d.store, d.clock);
  const written = new Map<string, number>();

  const write = async (
    row: StepRow,
    events: readonly DeliveryEvent[],
    revision: number,
  ): Promise<number | undefined> => {
    if (d.stopped()) return undefined;
    try {
      const r = await append(streamOf(row), events, revision, {
        correlationId: row.correlationId,
        causationId: row.cause,
      });
      if (r.kind !== 'appended') return undefined; // another dispatcher moved first; the fold will show what it did
      written.delete(row.key);
      written.set(row.key, r.nextRevision);
      if (written.size > MAX_REMEMBERED) written.delete(written.keys().next().value ?? '');
      return r.nextRevision;
    } catch (err) {
      d.log.error({ err, key: row.key }, 'dispatch could not write to the log; the timer will fire again');
      return undefined;
    }
  };

  const claim = async (u: Ready): Promise<Claimed | undefined> => {
    const leaseUntil = new Date(d.clock.now().getTime() + d.settings.leaseMs).toISOString();
    const attempt = u.row.attempt;
    const revision = await write(
      u.row,
      [{ type: 'DeliveryAttempted', data: { ...u.ref, attempt, node: d.node, run: d.run, leaseUntil } }],
      u.row.revision,
    );
    return revision === undefined ? undefined : { ...u, attempt, revision };
  };

  const call = async (channel: DispatchChannel, batch: readonly Claimed[]): Promise<readonly Outcome[]> => {
    const sender = d.channels[channel] as Channel | undefined;
    if (sender === undefined)
      return batch.map(() => ({ kind: 'failed', reason: `no ${channel} sender is configured` }));
    const deliveries: Delivery[] = batch.map((u) => ({
      id: u.id,
      attempt: u.attempt,
      to: u.recipient,
      content: u.content,
    }));
    try {
      return await sender.deliver(deliveries);
    } catch (err) {
      d.log.error({ err, channel }, 'a channel threw instead of answering with outcomes');
      return batch.map(() => ({ kind: 'retry', afterMs: 0, reason: 'the channel failed' }));
    }
  };

  const record = async (u: Claimed, outcome: Outcome | undefined): Promise<void> => {
    const answer: Outcome = outcome ?? { kind: 'retry', afterMs: 0, reason: 'the channel gave no outcome' };
    const decision = afterOutcome(
      answer,
      { attempt: u.attempt, expiresAt: u.row.expiresAt },
      d.settings.retry,
      d.clock.now().getTime(),
      d.random(),
    );
    await write(u.row, outcomeEvents(u.ref, u.attempt, answer, decision), u.revision);
    if (decision.kind !== 'gone' || u.row.deviceId === null || d.revokeDevice === undefined) return;
    const ctx = {
      actor: { uid: REACTOR_ACTOR.uid, roles: [...REACTOR_ACTOR.roles] },
      now: d.clock.now(),
      correlationId: u.row.correlationId,
    };
    const revoked = await d.revokeDevice(ctx, asUserId(u.row.uid), asDeviceId(u.row.deviceId), decision.reason);
    if (revoked._tag === 'Left')
      d.log.warn({ key: u.row.key, error: revoked.left }, 'could not revoke a device the provider reported gone');
  };

  const deliver = async (ready: readonly Ready[]): Promise<void> => {
    const claimed = (await Promise.all(ready.map(claim))).filter((u): u is Claimed => u !== undefined);
    const byChannel = new Map<DispatchChannel, Claimed[]>();
    for (const u of claimed) byChannel.set(u.row.channel, [...(byChannel.get(u.row.channel) ?? []), u]);
    // One provider call at a time per channel; outcomes are written while the next call runs.
    const recorded: Promise<unknown>[] = [];
    await Promise.all(
      [...byChannel].map(async ([channel, units]) => {
        const size = d.settings.batchSizes[channel];
        for (let i = 0; i < units.length; i += size) {
          const batch = units.slice(i, i + size);
          const outcomes = await call(channel, batch);
          if (d.stopped()) return;
          recorded.push(...batch.map((u, k) => record(u, outcomes[k])));
        }
      }),
    );
    await Promise.all(recorded);
  };

  const skip = (row: StepRow, ref: Ref, reason: SkipReason): Promise<number | undefined> =>
    write(row, [{ type: 'DeliverySkipped', data: { ...ref, reason } }], row.revision);

  const stepsOf = async (rows: readonly StepRow[]): Promise<void> => {
    const now = d.clock.now().getTime();
    const messages = new Map<string, Content | undefined>();
    const contentOf = (mid: string): Content | undefined => {
      if (!messages.has(mid)) {
        const m = dir.message(mid);
        messages.set(mid, m === undefined ? undefined : { kind: 'message', message: outgoing(dir, m) });
      }
      return messages.get(mid);
    };
    const ready: Ready[] = [];
    const skips: Promise<unknown>[] = [];
    for (const row of rows) {
      const content = row.mid === null ? undefined : contentOf(row.mid);
      if (row.mid === null || content === undefined) continue;
      const recipient = recipientOf(dir, row.uid, row.channel, row.deviceId);
      const next = nextStep(row, markersOf(dir, steps, { ...row, mid: row.mid }, recipient !== undefined), now);
      const ref = refData({
        key: row.key,
        uid: row.uid,
        channel: row.channel,
        mid: row.mid,
        ...(row.deviceId === null ? {} : { deviceId: row.deviceId }),
      });
      if (next.kind === 'skip') skips.push(skip(row, ref, next.reason));
      else if (next.kind === 'send' && recipient !== undefined)
        ready.push({ row, ref, recipient, content, id: row.key });
    }
    await Promise.all([...skips, deliver(ready)]);
  };

  const digest = async (unit: StepRow): Promise<void> => {
    const now = d.clock.now().getTime();
    const window = unit.key.slice(unit.key.lastIndexOf('/') + 1);
    const recipient = recipientOf(dir, unit.uid, unit.channel, null);
    const included: { row: StepRow; content: Content }[] = [];
    const reasons: SkipReason[] = [];
    for (const member of steps.pendingMembers(unit.key)) {
      const m = member.mid === null ? undefined : dir.message(member.mid);
      if (member.mid === null || m === undefined) continue;
      const next = nextStep(
        { at: unit.at, expiresAt: member.expiresAt },
        markersOf(dir, steps, { ...member, mid: member.mid }, recipient !== undefined),
        now,
      );
      // One digest carries at most LIMITS.recipients messages (its event's bound); the rest collapse into it.
      if (next.kind === 'send' && included.length >= LIMITS.recipients) {
        await skip(
          member,
          refData({ key: member.key, uid: member.uid, channel: member.channel, mid: member.mid, digest: window }),
          'collapsed',
        );
        continue;
      }
      if (next.kind === 'send') {
        included.push({ row: member, content: { kind: 'message', message: outgoing(dir, m) } });
        continue;
      }
      if (next.kind === 'wait') return; // not for this round yet
      reasons.push(next.reason);
      await skip(
        member,
        refData({ key: member.key, uid: member.uid, channel: member.channel, mid: member.mid, digest: window }),
        next.reason,
      );
    }
    const mids = included.map((i) => i.row.mid ?? '');
    const ref = refData({ key: unit.key, uid: unit.uid, channel: unit.channel, mids, digest: window });
    const [first, ...rest] = included
      .map((i) => (i.content.kind === 'message' ? i.content.message : undefined))
      .filter((x) => x !== undefined);
    if (first === undefined || recipient === undefined) {
      await skip(unit, ref, reasons[0] ?? 'expired');
      return;
    }
    const content: Content =
      rest.length === 0 ? { kind: 'message', message: first } : { kind: 'digest', messages: [first, ...rest] };
    const id = `${unit.key}#${createHash('sha256').update(mids.join(',')).digest('hex').slice(0, 12)}`;
    await deliver([{ row: unit, ref, recipient, content, id }]);
  };

  return {
    steps: stepsOf,
    digest,
    isAhead: (row) => {
      const mine = written.get(row.key);
      if (mine === undefined) return false;
      if (mine <= row.revision) {
        written.delete(row.key);
        return false;
      }
      return true;
    },
  };
};
