import { RECEIPT_STAGES, isFunnelChannel, isoInstant, zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
import type { DeliveryStatus, MessageDoc, MessageStatus, SetName } from '../../schema/search-documents.js';
import type { DomainEvent, EventOf } from '../../schema/events.js';
import type { Audience } from '../../schema/message.js';
import { ERASED_TEXT } from '../../schema/personal.js';
import { triagedRecipients } from '../../schema/triage-events.js';
import type { JsonObject } from '../../schema/json.js';
import { variantsOf } from '../../domain/variants.js';
import { impliedByLive } from './live.js';
import type { LiveList, LiveView } from './live.js';
import type { RootList } from './live-refs.js';
import type { HeldView } from './held.js';
import type { HeldReceipt } from '../../ports/search.js';

// Events -> what the search documents must become, without I/O: messages to create,
// statuses to set (in log order), and receipts to merge into delivery documents. The
// batch step (batch.ts) turns this into the port's ops.

/** One delivery fact: `uid` reached `status` for `mid` over `channel` at `at`. */
export interface Receipt {
  readonly mid: string;
  readonly uid: string;
  readonly channel: string;
  readonly status: DeliveryStatus;
  readonly at: string;
  /** Dispatch outcomes (a later issue) carry these; receipts do not. */
  readonly reason?: string;
  readonly attempts?: number;
}

/** `uid` joins the message's set `set` (a funnel stage: schema/search-documents.ts FunnelSet). */
export interface Mark {
  readonly mid: string;
  readonly set: SetName;
  readonly uid: string;
}

export interface Plan {
  /** Users erased in the batch: their direct messages stored before it are blanked first. */
  readonly erasures: readonly string[];
  readonly creates: readonly MessageDoc[];
  /** mid -> the one user a created message is addressed to. */
  readonly directTo: ReadonlyMap<string, string>;
  readonly statuses: readonly { readonly mid: string; readonly status: MessageStatus }[];
  readonly receipts: readonly Receipt[];
  readonly marks: readonly Mark[];
  /** Lists of recipients new to a message's live set, with what they count in each set (live.ts). */
  readonly lives: readonly LiveList[];
  /** Receipts from users the message has not addressed (yet): counted nowhere (held.ts). */
  readonly held: readonly HeldReceipt[];
}

/** Whether a receipt's user was addressed by its message: only then does the receipt count (held.ts). */
export interface ReceiptGate {
  /** `uid` is a one-recipient member of the message's stored `f:addressed` (read before the batch). */
  addressed(mid: string, uid: string): boolean;
  readonly held: HeldView;
}

export interface PlannedEvent {
  readonly event: DomainEvent;
  /** metadata.occurredAt, already checked to be an instant. */
  readonly occurredAt: string;
  /** The list a MessageTriaged names (`liveOf`), resolved (live-refs.ts): read as its `live`. */
  readonly root?: RootList;
}

const FAILURE = { retry: 'retrying', failed: 'failed', gone: 'revoked' } as const;

/** Receipts that name no channel came in over the HTTP API. */
export const DEFAULT_RECEIPT_CHANNEL = 'api';

const recipients = (a: Audience): number | null => {
  switch (a.kind) {
    case 'user':
      return 1;
    case 'users':
      return new Set(a.uids).size;
    case 'chunked':
      return a.count;
    case 'thread':
    case 'everyone':
      return null;
    default: {
      const unhandled: never = a;
      return unhandled;
    }
  }
};

const variantWeights = (opts: JsonObject): { variants?: { name: string; weight: number }[] } => {
  const vs = variantsOf(opts);
  return vs === undefined ? {} : { variants: vs.map((v) => ({ name: v.name, weight: v.weight })) };
};

/** A published message's A/B variants as its document holds them (messageDoc's `variants`), alone. */
export const messageVariants = (e: EventOf<'MessagePublished'>['data']): MessageDoc['variants'] =>
  variantWeights(e.opts).variants;

export const messageDoc = (e: EventOf<'MessagePublished'>['data']): MessageDoc => ({
  mid: e.mid,
  tid: e.audience.kind === 'thread' ? e.audience.tid : null,
  from: e.from,
  // Analysts see a chunked audience as what it is, a multicast to listed users.
  audience: e.audience.kind === 'chunked' ? 'users' : e.audience.kind,
  recipients: recipients(e.audience),
  text: e.subject === undefined ? e.msg : `${e.msg}\n${e.subject}`,
  urgency: e.urgency,
  at: isoInstant(e.at),
  scheduled: e.scheduled === undefined ? null : isoInstant(e.scheduled),
  status: e.scheduled === undefined ? 'published' : 'scheduled',
  counts: zeroCounts(),
  funnel: zeroFunnel(),
  channels: [],
  ...variantWeights(e.opts),
});

/**
 * Without `live`, every recipient of a `live` list becomes one-recipient marks (the reference
 * the lists are counted against in the tests); with it, lists and counts (live.ts).
 */
export const planBatch = (events: readonly PlannedEvent[], live: LiveView | undefined, gate: ReceiptGate): Plan => {
  const erasures: string[] = [];
  const creates: MessageDoc[] = [];
  const directTo = new Map<string, string>();
  const statuses: { mid: string; status: MessageStatus }[] = [];
  const receipts: Receipt[] = [];
  const marks: Mark[] = [];
  const lives: LiveList[] = [];
  const held: HeldReceipt[] = [];
  // The one-recipient plans of this batch's triages, for the messages a receipt of the batch names.
  const acked = new Set<string>();
  for (const { event } of events)
    if (event.type === 'MessagesAcknowledged') for (const m of event.data.mids) acked.add(m);
  const addressedHere = new Map<string, Set<string>>();
  const isAddressed = (mid: string, uid: string): boolean =>
    gate.addressed(mid, uid) || addressedHere.get(mid)?.has(uid) === true || (live?.isLive(mid, uid) ?? false);
  // A live recipient's list counts it in these sets already.
  const mark = (mid: string, set: SetName, uid: string): void => {
    if (live !== undefined && impliedByLive(set)) {
      if (live.isLive(mid, uid)) return;
      live.noteMember(mid, set, uid);
    }
    marks.push({ mid, set, uid });
  };
  // A recipient's receipt: a delivery fact, its stages and, over a funnel channel, its sends.
  const receipt = (r: HeldReceipt): void => {
    const { mid, uid, channel, status } = r;
    receipts.push({ mid, uid, channel, status, at: r.at });
    // A receipt of a later stage counts for the stages before it (a click was read, seen, delivered).
    for (const s of RECEIPT_STAGES.slice(0, RECEIPT_STAGES.indexOf(status) + 1)) mark(mid, `f:reached:${s}`, uid);
    // A receipt over a channel proves the message went out on it (the websocket after a reconnect too).
    if (isFunnelChannel(channel))
      for (const set of [`f:attempted:${channel}`, `f:sent:${channel}`, 'f:sent'] as const) mark(mid, set, uid);
  };
  for (const { event, occurredAt, root } of events) {
    switch (event.type) {
      case 'MessagePublished':
        creates.push(messageDoc(event.data));
        if (event.data.audience.kind === 'user') directTo.set(event.data.mid, event.data.audience.uid);
        break;
      // Messages created earlier in this batch are blanked here; stored ones by the erase op.
      case 'UserErased': {
        const uid = event.data.uid;
        erasures.push(uid);
        for (const [i, doc] of creates.entries())
          if (directTo.get(doc.mid) === uid) creates[i] = { ...doc, text: ERASED_TEXT };
        break;
      }
      // The decider allows a cancel only before a retraction, so log order is the final status.
      case 'MessageCancelled':
        statuses.push({ mid: event.data.mid, status: 'cancelled' });
        break;
      case 'MessageRetracted':
        statuses.push({ mid: event.data.mid, status: 'retracted' });
        break;
      case 'MessagesAcknowledged': {
        const { uid, status } = event.data;
        const channel = event.data.channel ?? DEFAULT_RECEIPT_CHANNEL;
        const at = isoInstant(occurredAt);
        for (const mid of new Set(event.data.mids)) {
          const r: HeldReceipt = { mid, uid, channel, status, at };
          // Any user may acknowledge any mid: only a recipient's receipt counts (held.ts).
          if (isAddressed(mid, uid)) receipt(r);
          else {
            held.push(r);
            gate.held.hold(r);
          }
        }
        break;
      }
      // Recipients planned only the websocket are listed by uid (`live`): they count as the plan they stand for.
      case 'MessageTriaged': {
        const { mid } = event.data;
        const written = root === undefined ? event.data : { ...event.data, live: root.uids };
        const planned = live === undefined ? triagedRecipients(written) : event.data.recipients;
        for (const r of planned) {
          mark(mid, 'f:addressed', r.uid);
          if (r.steps.length > 0) mark(mid, 'f:triaged', r.uid);
          // The realtime layer pushes a live-session step at once and records nothing: planned is sent.
          if (r.steps.some((s) => s.channel === 'websocket'))
            for (const set of ['f:attempted:websocket', 'f:sent:websocket', 'f:sent'] as const) mark(mid, set, r.uid);
        }
        const list =
          live === undefined
            ? undefined
            : root !== undefined
              ? live.addLiveRef(mid, root)
              : event.data.live === undefined
                ? undefined
                : live.addLive(mid, event.data.live);
        if (list !== undefined) lives.push(list);
        if (acked.has(mid)) {
          const here = addressedHere.get(mid) ?? new Set<string>();
          for (const r of planned) here.add(r.uid);
          addressedHere.set(mid, here);
        }
        // Receipts held for users this triage addresses count now, as if the triage had come first
        // (after the list: a live recipient's receipt is then left out of the sets the list stands in).
        const waiting = gate.held.waiting(mid);
        if (waiting !== undefined && waiting.size > 0) {
          const named = new Set<string>(planned.map((r) => r.uid));
          for (const [uid, rs] of [...waiting]) {
            if (!named.has(uid) && live?.isLive(mid, uid) !== true) continue;
            for (const r of rs) receipt(r);
            gate.held.release(mid, uid);
          }
        }
        break;
      }
      case 'DeliveryFailed':
      case 'DeliveryGivenUp': {
        // Dispatch outcomes become delivery facts with their reason: retry -> retrying, failed,
        // gone (the device was revoked) -> revoked, given up -> given_up.
        const d = event.data;
        const status: DeliveryStatus = event.type === 'DeliveryFailed' ? FAILURE[event.data.outcome] : 'given_up';
        const attempts = event.type === 'DeliveryFailed' ? event.data.attempt : event.data.attempts;
        const mids = d.mid === undefined ? (d.mids ?? []) : [d.mid];
        for (const mid of new Set(mids))
          receipts.push({
            mid,
            uid: d.uid,
            channel: d.channel,
            status,
            at: isoInstant(occurredAt),
            reason: d.reason,
            attempts,
          });
        break;
      }
      case 'DeliveryAttempted':
      case 'DeliverySucceeded': {
        const { uid, channel } = event.data;
        if (!isFunnelChannel(channel)) break;
        // A digest's attempt carries every message of its window (`mids`).
        const mids = event.data.mid === undefined ? (event.data.mids ?? []) : [event.data.mid];
        const sets: SetName[] =
          event.type === 'DeliveryAttempted' ? [`f:attempted:${channel}`] : [`f:sent:${channel}`, 'f:sent'];
        for (const mid of new Set(mids)) for (const set of sets) mark(mid, set, uid);
        break;
      }
      default:
        break;
    }
  }
  return { erasures, creates, directTo, statuses, receipts, marks, lives, held };
};
