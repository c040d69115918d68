import { createHash } from 'node:crypto';
import { decideDigest } from '../domain/delivery/digest.js';
import { claimedBy, decideStep, streamOfUnit } from '../domain/delivery/dispatch.js';
import { decideGroupStep } from '../domain/delivery/group-dispatch.js';
import type { GroupStepIntent } from '../domain/delivery/group-dispatch.js';
import type { Dispatcher as By } from '../domain/delivery/dispatch.js';
import type { Intent } from '../domain/delivery/intents.js';
import { isGroupStream, stepKey } from '../domain/triage/keys.js';
import { Groups } from './groups.js';
import { forRecipient } from '../domain/variants.js';
import { DEFAULT_RETRY_POLICY } from '../domain/triage/retry.js';
import type { RetryPolicy } from '../domain/triage/retry.js';
import type { OutgoingMessage, Recipient } from '../ports/channel.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryStateStore } from '../ports/delivery-state.js';
import type { EventStore } from '../ports/eventstore.js';
import { DEFAULT_DISPATCH_CONCURRENCY } from '../schema/config-triage.js';
import type { UnitState } from '../schema/delivery-state.js';
import type { DispatchChannel } from '../schema/triage-events.js';
import { createLanes } from './lanes.js';
import { throttleChannels } from './throttle.js';
import type { CampaignSettings } from './throttle.js';
import type { Limits } from './limits.js';
import { campaignJobSize, campaignPriority, campaignRates, createCampaignJobs } from './campaign-jobs.js';
import type { LaneStats } from './lanes.js';
import type { Revoke } from './revoke.js';
import { createSender } from './send.js';
import type { Ready } from './send.js';
import { namesFrom } from './people.js';
import { jobReads } from './job-reads.js';
import type { JobFacts } from './job-reads.js';
import { asContent, contactRecipient, createTargets, markersFrom, pushRecipient } from './targets.js';
import type { Targets } from './targets.js';
import type { ChannelMap, ReactorLog } from './types.js';
import { createUnitWriter } from './writer.js';

// Dispatch runs the dispatch workflow (domain/delivery/dispatch.ts, digest.ts) for the units
// the scheduler found due: it reads what the workflow decides on (targets.ts), appends the
// skips it decides and hands the units to send to send.ts. The due units of one channel from
// one pass are one job in that channel's lane (lanes.ts); the scheduler does not wait for
// jobs, so a provider that hangs delays only its own channel. A unit is in flight from the
// moment it is queued until its job ends, and no pass looks at it meanwhile.
// At-least-once: a claim is appended before the provider is called and the outcome after it;
// if the process dies in between, the claim lapses (at once for a restart of the same node,
// after `leaseMs` otherwise) and the unit is sent again, once, with the same delivery id, so
// a provider that deduplicates (or the outbox) sees one delivery.

export interface DispatchSettings {
  /** Most deliveries per call of each channel (FCM 500 per request, SendGrid 1000 personalizations). */
  readonly batchSizes: Readonly<Record<DispatchChannel, number>>;
  /** Jobs in flight per channel on this node (MSGXC_DISPATCH_CONCURRENCY). */
  readonly concurrency: Readonly<Record<DispatchChannel, number>>;
  /** How long a claim holds before another dispatcher may take the unit over. */
  readonly leaseMs: number;
  /**
   * How long one provider call may take before it is abandoned as a retry (default: the lease,
   * after which another node may take the unit over anyway).
   */
  readonly callTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Sends per second per channel never exceeded (MSGXC_THROTTLE_<CHANNEL>; delivery/throttle.ts). */
  readonly throttle?: Limits;
  /** How campaigns' own limits (`opts.throttle`) are shared with the other delivery processes. */
  readonly campaigns?: CampaignSettings;
}

/** Provider batches per lane job: the most an urgent job waits for, per slot, behind a broadcast. */
const JOB_BATCHES = 4;

export const DEFAULT_DISPATCH_SETTINGS: DispatchSettings = {
  batchSizes: { fcm: 500, apns: 500, webpush: 100, email: 1000, sms: 100, mqtt: 500 },
  concurrency: DEFAULT_DISPATCH_CONCURRENCY,
  leaseMs: 120_000,
  callTimeoutMs: 120_000,
  retry: DEFAULT_RETRY_POLICY,
};

export interface DispatcherDeps {
  readonly state: DeliveryStateStore;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly channels: ChannelMap;
  readonly settings: DispatchSettings;
  readonly node: string;
  readonly run: string;
  readonly random: () => number;
  readonly revokeDevice: Revoke;
  readonly log: ReactorLog;
  readonly stopped: () => boolean;
}

export interface Dispatcher {
  /** Queues due units (steps and digests) in their channels' lanes and returns at once. */
  dispatch(units: readonly UnitState[]): void;
  /** A unit (by key) or any step of a group (by its stream) queued or running on this node: the scheduler leaves it alone. */
  inFlight(key: string): boolean;
  /** This node wrote to a group stream past `revision`: wait for the fold. */
  isGroupAhead(stream: string, revision: number): boolean;
  /** This node wrote to the unit's stream past what the fold has applied: wait for the fold. */
  isAhead(u: UnitState): boolean;
  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void>;
  stats(): { readonly inFlight: number; readonly lanes: Readonly<Record<DispatchChannel, LaneStats>> };
}

type ContentOf = (mid: string) => Promise<OutgoingMessage | undefined>;
const NONE: readonly Intent[] = [];
const NONE_OTHER: readonly UnitState[] = [];
interface Decided {
  readonly intents: readonly Intent[];
  /** A grouped step decided as its entry in the group's batched events (instead of intents). */
  readonly part?: GroupStepIntent;
  /** The units the intents are about besides the due one (a digest's members). */
  readonly others: readonly UnitState[];
  readonly recipient?: Recipient;
}

export const createDispatcher = (d: DispatcherDeps): Dispatcher => {
  const nameOf = namesFrom(d.store);
  const writer = createUnitWriter(d);
  const send = createSender({
    ...d,
    channels: throttleChannels(d.channels, d.settings.throttle ?? {}, d.settings.campaigns ?? {}),
    writer,
    batchSizes: d.settings.batchSizes,
    retry: d.settings.retry,
    callTimeoutMs: d.settings.callTimeoutMs,
  });
  const inFlight = new Set<string>();
  // Steps in flight per group stream: a group's timer is left alone while any of its steps is.
  const groupsInFlight = new Map<string, number>();
  const flying = (u: UnitState, n: number): void => {
    if (u.kind !== 'step' || !isGroupStream(u.stream)) return;
    const left = (groupsInFlight.get(u.stream) ?? 0) + n;
    if (left > 0) groupsInFlight.set(u.stream, left);
    else groupsInFlight.delete(u.stream);
  };
  const lanes = createLanes(d.settings.concurrency, (channel, err) => {
    d.log.error({ err, channel }, 'a dispatch job failed; its units come due again');
  });
  const by: By = { node: d.node, run: d.run, leaseMs: d.settings.leaseMs };
  // A job holds at most JOB_BATCHES provider batches, a throttled channel's about a second of its sends.
  const jobSize = (channel: DispatchChannel): number =>
    Math.min(
      Math.max(1, d.settings.batchSizes[channel]) * JOB_BATCHES,
      d.settings.throttle?.[channel]?.perSecond ?? Infinity,
    );
  // A throttled campaign's job: about a second of this process's share of its rate (campaign-jobs.ts).
  const campaignJobs = createCampaignJobs((rate, channel) =>
    campaignJobSize(rate, d.settings.campaigns?.share, jobSize(channel as DispatchChannel)),
  );

  const digest = async (targets: Targets, u: UnitState, now: number, contentOf: ContentOf): Promise<Decided> => {
    const found = await d.state.units.get(u.waiting.map((mid) => stepKey({ mid, uid: u.uid, channel: u.channel })));
    const pending = [...found.values()].filter((m) => m.digest === u.key && m.stage.status === 'pending');
    const recipient = await targets.recipient(u.uid, u.channel, null);
    const reachable = recipient !== undefined;
    const members = await Promise.all(
      pending.map(async (m) => ({
        unit: m,
        known: m.mid !== null && (await contentOf(m.mid)) !== undefined,
        markers: await targets.markers({ ...m, mid: m.mid ?? '' }, reachable),
      })),
    );
    const intents = decideDigest({ now, by, reachable, members }, u);
    return { intents, others: pending, ...(recipient === undefined ? {} : { recipient }) };
  };

  const step = async (targets: Targets, u: UnitState, now: number, contentOf: ContentOf): Promise<Decided> => {
    if (u.mid === null || (await contentOf(u.mid)) === undefined) return { intents: [], others: [] };
    const recipient = await targets.recipient(u.uid, u.channel, u.deviceId, u.mid);
    const markers = await targets.markers({ ...u, mid: u.mid }, recipient !== undefined);
    return {
      intents: [decideStep({ now, markers, by }, u)],
      others: [],
      ...(recipient === undefined ? {} : { recipient }),
    };
  };

  // A step decided from what the job read, without a promise: undefined when something it
  // needs was not read (a digest, MQTT, a message the directory did not have when read), and
  // then `step` asks the store as before. The same facts and the same decision as `step`.
  const quick = (
    facts: JobFacts,
    u: UnitState,
    now: number,
    known: ReadonlyMap<string, OutgoingMessage | undefined>,
  ): Decided | undefined => {
    if (u.kind !== 'step' || u.mid === null || u.channel === 'mqtt' || !known.has(u.mid)) return undefined;
    if (known.get(u.mid) === undefined) return { intents: [], others: [] };
    const f = facts.markerFacts(u);
    if (f === undefined) return undefined;
    let recipient: Recipient | undefined;
    if (u.channel === 'email' || u.channel === 'sms') recipient = contactRecipient(u.uid, u.channel, f.profile);
    else {
      const device = u.deviceId === null ? undefined : facts.device(u.uid, u.deviceId);
      if (device === 'unread') return undefined;
      recipient = pushRecipient(u.uid, u.channel, u.deviceId, device);
    }
    const markers = markersFrom(u.channel, f, recipient !== undefined);
    // Built as one object (no spread objects): a broadcast's job decides thousands of steps.
    const decided: { -readonly [K in keyof Decided]: Decided[K] } = isGroupStream(u.stream)
      ? { intents: NONE, part: decideGroupStep({ now, markers, by }, u), others: NONE_OTHER }
      : { intents: [decideStep({ now, markers, by }, u)], others: NONE_OTHER };
    if (recipient !== undefined) decided.recipient = recipient;
    return decided;
  };

  // A job decides on the units as the scheduler read them: a decision made on a unit that has
  // moved since is refused by its stream's revision (writer.ts), as any other stale decision.
  const job = async (channel: DispatchChannel, all: readonly UnitState[], owner?: string): Promise<void> => {
    // The units this job ends (the others wait for their campaign's next job).
    let units = all;
    let owned: readonly string[] = owner === undefined ? [] : [owner];
    try {
      if (d.stopped()) return;
      const rates = await campaignRates(d.state.directory, channel, all);
      if (rates.size > 0 || owner !== undefined) {
        const admitted = campaignJobs.admit(channel, all, (mid) => rates.get(mid), owner);
        units = admitted.send;
        owned = [...owned, ...admitted.owned];
      }
      const reads = await jobReads(d.state, units);
      const targets = createTargets(reads.state, nameOf);
      const now = d.clock.now().getTime();
      const contents = new Map<string, Promise<OutgoingMessage | undefined>>();
      const contentOf: ContentOf = (mid) => {
        const c = contents.get(mid) ?? targets.content(mid, channel === 'mqtt');
        contents.set(mid, c);
        return c;
      };
      // The messages of the job's steps, read once each before the pass (a job is mostly one message's).
      const known = new Map<string, OutgoingMessage | undefined>();
      for (const u of units) if (u.mid !== null && !known.has(u.mid)) known.set(u.mid, await contentOf(u.mid));
      const ready: Ready[] = [];
      const writes: Promise<unknown>[] = [];
      const grouped = new Groups();
      for (const u of units) {
        if (writer.isAhead(u)) continue;
        const decided =
          quick(reads.facts, u, now, known) ??
          (await (u.kind === 'digest' ? digest : step)(targets, u, now, contentOf));
        const part = decided.part;
        if (part?.kind === 'skip') grouped.addPart(u.stream, u, u.revision, part);
        if (part?.kind === 'claim' && decided.recipient !== undefined && u.mid !== null) {
          // A grouped step is one message's: its text, in the recipient's A/B variant, and its key as the id.
          const m = known.get(u.mid);
          const content = asContent(m === undefined ? [] : [forRecipient(m, m.mid, u.uid)]);
          if (content !== undefined)
            ready.push({ unit: u, claim: part, recipient: decided.recipient, content, id: u.key });
        }
        const about =
          decided.others.length === 0 ? undefined : new Map([u, ...decided.others].map((x) => [streamOfUnit(x), x]));
        for (const i of decided.intents) {
          if (i.kind === 'append' && isGroupStream(i.stream)) grouped.add(i, u);
          else if (i.kind === 'append') writes.push(writer.write(about?.get(i.stream) ?? u, i));
          if (i.kind !== 'send' || decided.recipient === undefined) continue;
          const mids = claimedBy(i.claim)?.ref.mids;
          const one = mids === undefined && u.mid !== null && known.has(u.mid) ? [known.get(u.mid)] : undefined;
          const messages = one ?? (await Promise.all((mids ?? [u.mid ?? '']).map(contentOf)));
          // Each recipient gets the text of their A/B variant (domain/variants.ts).
          const content = asContent(messages.flatMap((m) => (m === undefined ? [] : [forRecipient(m, m.mid, u.uid)])));
          if (content === undefined) continue;
          // A digest's delivery id names what it carries: a second round is a new delivery.
          const id =
            mids === undefined
              ? u.key
              : `${u.key}#${createHash('sha256').update(mids.join(',')).digest('hex').slice(0, 12)}`;
          ready.push({ unit: u, claim: i.claim, recipient: decided.recipient, content, id });
        }
      }
      // The skips of each group in one append per group (claims and outcomes: send.ts).
      for (const [stream, ws] of grouped.all()) writes.push(writer.writeGroup(stream, ws));
      await Promise.all([...writes, send(channel, ready)]);
    } finally {
      for (const u of units) {
        inFlight.delete(u.key);
        flying(u, -1);
      }
      // Each campaign this job was the one job of: its next job, after the others of its urgency.
      for (const key of owned) {
        const next = campaignJobs.next(key);
        if (next !== undefined)
          lanes.run(
            channel,
            () => job(channel, next, key),
            campaignPriority(next.reduce((m, u) => Math.max(m, u.urgency), 0)),
          );
      }
    }
  };

  return {
    dispatch: (units) => {
      // One job per channel and urgency, so the lanes can serve the urgent ones first.
      const byLane = new Map<string, { channel: DispatchChannel; urgency: number; units: UnitState[] }>();
      for (const u of units) {
        if (inFlight.has(u.key)) continue;
        inFlight.add(u.key);
        flying(u, 1);
        const lane = `${u.channel}/${String(u.urgency)}`;
        const group = byLane.get(lane);
        if (group === undefined) byLane.set(lane, { channel: u.channel, urgency: u.urgency, units: [u] });
        else group.units.push(u);
      }
      // ...and at most JOB_BATCHES provider batches per job, so an urgent job waits for a few
      // batches of a broadcast at most, not for a whole pass of it.
      // A throttled channel's job holds about a second of its sends, so an urgent job waits
      // for a slot that long at most; a throttled campaign's, about a second of its own
      // (campaign-jobs.ts: one job in flight per campaign, the rest wait their turn).
      for (const g of byLane.values()) {
        const size = jobSize(g.channel);
        for (let i = 0; i < g.units.length; i += size) {
          const part = g.units.slice(i, i + size);
          lanes.run(g.channel, () => job(g.channel, part), g.urgency);
        }
      }
    },
    inFlight: (key) => inFlight.has(key) || groupsInFlight.has(key),
    isGroupAhead: (stream, revision) => writer.isGroupAhead(stream, revision),
    isAhead: (u) => writer.isAhead(u),
    idle: () => lanes.idle(),
    stats: () => ({ inFlight: inFlight.size, lanes: lanes.stats() }),
  };
};
