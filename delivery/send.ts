import { claimedBy, decideAnswer } from '../domain/delivery/dispatch.js';
import { decideGroupAnswer } from '../domain/delivery/group-dispatch.js';
import type { GroupPart } from '../domain/delivery/group-dispatch.js';
import type { Append } from '../domain/delivery/intents.js';
import type { RetryPolicy } from '../domain/triage/retry.js';
import type { Channel, Content, Delivery, Outcome, Recipient } from '../ports/channel.js';
import type { Clock } from '../ports/clock.js';
import type { UnitState } from '../schema/delivery-state.js';
import type { DispatchChannel } from '../schema/triage-events.js';
import { isGroupStream } from '../domain/triage/keys.js';
import { Groups } from './groups.js';
import type { Revoke } from './revoke.js';
import { revoker } from './revoke.js';
import type { ChannelMap, ReactorLog } from './types.js';
import type { UnitWriter } from './writer.js';

// The only place a provider is called: claim each unit the workflow decided to send, hand the
// claimed ones to their channel one batch after another, and append what each answer means
// (domain/delivery/dispatch.ts `decideAnswer`) at the claim's revision, while the next batch
// is out. Revoking a device a provider reported gone is the user command.

/** A unit to send: its claim (not appended yet), where to, what, and the delivery id. */
export interface Ready {
  readonly unit: UnitState;
  /** The claim to append: per-unit events, or a grouped step's entry (group-dispatch.ts). */
  readonly claim: Append | GroupClaim;
  readonly recipient: Recipient;
  readonly content: Content;
  readonly id: string;
}

export type GroupClaim = Extract<GroupPart, { kind: 'claim' }>;

interface Claimed extends Ready {
  readonly revision: number;
  readonly attempt: number;
}

export interface SenderDeps {
  readonly channels: ChannelMap;
  readonly writer: UnitWriter;
  readonly clock: Clock;
  readonly batchSizes: Readonly<Record<DispatchChannel, number>>;
  readonly retry: RetryPolicy;
  /** How long one provider call may take before dispatch abandons it as a retry (frees its lane slot). */
  readonly callTimeoutMs: number;
  readonly random: () => number;
  readonly revokeDevice: Revoke;
  readonly log: ReactorLog;
  readonly stopped: () => boolean;
}

// Every adapter has its own request timeout (MSGXC_CHANNEL_TIMEOUT_MS), but an SDK that
// retries inside one call, or a channel with a bug, could still hold its lane slot (and its
// units, in flight on this node) for ever: past this deadline the answer is a retry, recorded
// at the claim's revision like any other. A late answer from the abandoned call is dropped;
// the retry sends with the same delivery id, so a deduplicating provider sees one delivery.
const deadline = <T>(work: Promise<T>, ms: number, onTimeout: () => T): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      resolve(onTimeout());
    }, ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => {
    clearTimeout(timer);
  });
};

// A claimed unit as one object of one shape, not a spread of its `Ready` (a broadcast claims one
// per delivery, and the spread was 3 % of the main thread in the triage bench's profile, issue 13).
const claimedOf = (r: Ready, revision: number, attempt: number): Claimed => ({
  unit: r.unit,
  claim: r.claim,
  recipient: r.recipient,
  content: r.content,
  id: r.id,
  revision,
  attempt,
});

export const createSender = (d: SenderDeps): ((channel: DispatchChannel, ready: readonly Ready[]) => Promise<void>) => {
  const revoke = revoker(d.revokeDevice, d.clock, d.log);

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
      return await deadline(sender.deliver(deliveries), d.callTimeoutMs, () => {
        d.log.warn({ channel, deliveries: batch.length, ms: d.callTimeoutMs }, 'a channel call did not answer in time');
        return batch.map(() => ({ kind: 'retry', afterMs: 0, reason: `no answer within ${d.callTimeoutMs} ms` }));
      });
    } catch (err) {
      d.log.error({ err, channel }, 'a channel threw instead of answering with outcomes');
      return batch.map(() => ({ kind: 'retry', afterMs: 0, reason: 'the channel failed' }));
    }
  };

  // What each answer means (decideAnswer), recorded at its claim's revision: the units of a
  // group stream in one batched append, a digest (or a step from before batching) on its own.
  const record = async (batch: readonly Claimed[], outcomes: readonly (Outcome | undefined)[]): Promise<void> => {
    const grouped = new Groups();
    const work: Promise<unknown>[] = [];
    batch.forEach((u, k) => {
      const answered = {
        now: d.clock.now().getTime(),
        outcome: outcomes[k],
        attempt: u.attempt,
        revision: u.revision,
        policy: d.retry,
        random: d.random(),
      };
      if (u.claim.kind === 'claim') {
        const a = decideGroupAnswer(answered, u.unit);
        grouped.addPart(u.unit.stream, u.unit, u.revision, a.part);
        if (a.revoke !== undefined) work.push(revoke(a.revoke, u.unit.correlationId));
        return;
      }
      const claim = claimedBy(u.claim);
      if (claim === undefined) return;
      for (const i of decideAnswer(answered, u.unit, claim.ref)) {
        if (i.kind === 'append' && isGroupStream(i.stream)) grouped.add(i, u.unit);
        else if (i.kind === 'append') work.push(d.writer.write(u.unit, i));
        else if (i.kind === 'revoke') work.push(revoke(i, u.unit.correlationId));
      }
    });
    for (const [stream, ws] of grouped.all()) work.push(d.writer.writeGroup(stream, ws));
    await Promise.all(work);
  };

  // Claims: the units of one group stream in one batched append, the others one by one.
  const claim = async (ready: readonly Ready[]): Promise<Claimed[]> => {
    const grouped = new Groups();
    const single: Promise<Claimed | undefined>[] = [];
    const attemptOf = (r: Ready): number =>
      r.claim.kind === 'claim' ? r.claim.entry.attempt : (claimedBy(r.claim)?.attempt ?? 0);
    const isGrouped = (r: Ready): boolean => r.claim.kind === 'claim' || isGroupStream(r.claim.stream);
    for (const r of ready) {
      const c = r.claim;
      if (c.kind === 'claim') grouped.addPart(r.unit.stream, r.unit, r.unit.revision, c);
      else if (isGroupStream(c.stream)) grouped.add(c, r.unit);
      else
        single.push(
          d.writer
            .write(r.unit, c)
            .then((revision) => (revision === undefined ? undefined : claimedOf(r, revision, attemptOf(r)))),
        );
    }
    const revisions = new Map<string, number>();
    await Promise.all(
      [...grouped.all()].map(async ([stream, ws]) => {
        for (const [key, rev] of await d.writer.writeGroup(stream, ws)) revisions.set(key, rev);
      }),
    );
    const claimed: Claimed[] = [];
    for (const r of ready) {
      const revision = isGrouped(r) ? revisions.get(r.unit.key) : undefined;
      if (revision !== undefined) claimed.push(claimedOf(r, revision, attemptOf(r)));
    }
    for (const c of await Promise.all(single)) if (c !== undefined) claimed.push(c);
    return claimed;
  };

  return async (channel, ready) => {
    const claimed = await claim(ready);
    const recorded: Promise<void>[] = [];
    const size = d.batchSizes[channel];
    for (let i = 0; i < claimed.length; i += size) {
      const batch = claimed.slice(i, i + size);
      const outcomes = await call(channel, batch);
      if (d.stopped()) return;
      recorded.push(record(batch, outcomes));
    }
    await Promise.all(recorded);
  };
};
