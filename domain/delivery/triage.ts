import type { MessageStatus, PublishedData } from '../../schema/delivery-state.js';
import { asDeviceId, asMessageId, asUserId } from '../../schema/ids.js';
import type { UserId } from '../../schema/ids.js';
import type { JsonObject } from '../../schema/json.js';
import { assignAll } from '../variants.js';
import type { RecipientPlanData, TriageEventOf } from '../../schema/triage-events.js';
import { resumeAfter } from '../triage/batches.js';
import type { BatchCursor, Page } from '../triage/batches.js';
import type { TriageConfig } from '../triage/config.js';
import { triageStream } from '../triage/keys.js';
import { planDelivery, splitsLive } from '../triage/plan.js';
import { variantsOf } from '../variants.js';
import type { LiveSplit, TriagePage } from './live-split.js';
import { threadTopicPlan } from '../triage/topics.js';
import type { MessageFacts, RecipientPlan } from '../triage/types.js';
import { append, ignore } from './intents.js';
import type { Intent } from './intents.js';

// The triage workflow of one message (stream `triage-<mid>`): a scheduled message is first
// marked due (MessageDue, once, when the scheduler fires its timer), then the message's
// audience is planned in batches, each its own MessageTriaged event with the cursor to
// continue from. The state is the stream folded; every append expects the stream's revision,
// so a replay after a crash resumes after the last batch written instead of writing any twice.

type TriagedData = TriageEventOf<'MessageTriaged'>['data'];
type TriageStreamEvent = TriageEventOf<'MessageDue'> | TriageEventOf<'MessageTriaged'>;

export type TriageState =
  | { readonly stage: 'Untriaged'; readonly revision: number }
  | { readonly stage: 'Triaging'; readonly revision: number; readonly last: TriagedData }
  | { readonly stage: 'Triaged'; readonly revision: number };

export const initialTriage = (): TriageState => ({ stage: 'Untriaged', revision: -1 });

export const evolveTriage = (s: TriageState, e: TriageStreamEvent): TriageState => {
  const revision = s.revision + 1;
  switch (e.type) {
    case 'MessageDue':
      return s.stage === 'Untriaged' ? { stage: 'Untriaged', revision } : { ...s, revision };
    case 'MessageTriaged':
      return e.data.next === undefined ? { stage: 'Triaged', revision } : { stage: 'Triaging', revision, last: e.data };
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
};

/** Where planning continues: the first batch, after the last one written, or 'done'. */
export const cursorOf = (s: TriageState): BatchCursor | 'done' =>
  s.stage === 'Triaged' ? 'done' : resumeAfter(s.stage === 'Triaging' ? s.last : undefined);

// ---- FireSchedule: the scheduler's timer for a scheduled message fired

export interface FireSchedule {
  readonly mid: string;
  /** The message as the directory has it now. */
  readonly status: MessageStatus;
  readonly scheduled: string | undefined;
}

export const decideFire = (cmd: FireSchedule, s: TriageState): Intent => {
  if (s.revision >= 0) return ignore('already due');
  if (cmd.status !== 'scheduled' || cmd.scheduled === undefined) return ignore(`message is ${cmd.status}`);
  return append(triageStream(cmd.mid), s.revision, [
    { type: 'MessageDue', data: { mid: asMessageId(cmd.mid), due: cmd.scheduled } },
  ]);
};

// ---- PlanBatches: plan the next batches of the audience

export interface PlanBatches {
  readonly now: number;
  readonly data: PublishedData;
  readonly status: MessageStatus;
  /** The message as triage reads it (urgency, due time, lifetime, collapse key, thread channels). */
  readonly message: MessageFacts;
  readonly expiresAt: number;
  readonly config: TriageConfig;
  /** The audience pages from the cursor on, each with the facts of its recipients (the sender left out). */
  readonly pages: readonly TriagePage[];
}

/** Why nobody is planned for any more, if so: cancelled or retracted, or expired before triage. */
export const stopped = (status: MessageStatus, now: number, expiresAt: number): 'cancelled' | 'expired' | undefined =>
  status === 'cancelled' || status === 'retracted' ? 'cancelled' : now > expiresAt ? 'expired' : undefined;

/** The sender is not notified of their own message. */
export const recipientsOf = (page: Page<string>, from: string): Page<string> => ({
  ...page,
  items: page.items.filter((uid) => uid !== from),
});

/** A plan that is the websocket alone, at `start`: recorded as a uid in the batch's `live` list. */
const liveOnly = (p: RecipientPlan, start: number): boolean => {
  // Not `[only, ...more]`: that copied every recipient's steps into an array to count them.
  const only = p.steps[0];
  return (
    p.online &&
    p.steps.length === 1 &&
    only?.channel === 'websocket' &&
    only.reason === 'live-session' &&
    only.at === start &&
    only.deviceId === undefined &&
    only.digest === undefined
  );
};

// A batch's steps share a few times (now, the push and nearline delays): each is written as ISO
// once, not once per step (a broadcast writes hundreds of thousands). A memo of a pure function,
// bounded: cleared when it holds more than a few dozen times.
const isos = new Map<number, string>();
const isoOf = (ms: number): string => {
  const known = isos.get(ms);
  if (known !== undefined) return known;
  const iso = new Date(ms).toISOString();
  if (isos.size >= 64) isos.clear();
  isos.set(ms, iso);
  return iso;
};

type StepData = RecipientPlanData['steps'][number];

// One object per step, built with its fields in the order the codec writes them (channel, at,
// reason, then the optional ones), without the spread objects that made three more per step.
const toData = (p: RecipientPlan): RecipientPlanData => ({
  uid: asUserId(p.uid),
  online: p.online,
  steps: p.steps.map((s) => {
    const step: { -readonly [K in keyof StepData]: StepData[K] } = {
      channel: s.channel,
      at: isoOf(s.at),
      reason: s.reason,
    };
    if (s.deviceId !== undefined) step.deviceId = asDeviceId(s.deviceId);
    if (s.digest !== undefined) step.digest = isoOf(s.digest);
    if (s.deferred !== undefined) step.deferred = { reason: s.deferred.reason, from: isoOf(s.deferred.from) };
    return step;
  }),
});

// The assignment is a pure function (domain/variants.ts); recording it makes it part of the log.
const variantsOfBatch = (
  opts: JsonObject,
  mid: string,
  recipients: readonly RecipientPlan[],
): { variants?: Record<string, UserId[]> } => {
  const by = assignAll(
    opts,
    mid,
    recipients.map((r) => r.uid),
  );
  if (Object.keys(by).length === 0) return {};
  return { variants: Object.fromEntries(Object.entries(by).map(([name, uids]) => [name, uids.map(asUserId)])) };
};

/** A page planned recipient by recipient: whoever only gets it live is a uid in `live`. */
const wholePage = (
  cmd: PlanBatches,
  topic: RecipientPlan | undefined,
  plan: readonly RecipientPlan[],
  start: number,
): Pick<TriagedData, 'recipients' | 'live' | 'liveAt' | 'variants'> => {
  const live: UserId[] = [];
  const full: RecipientPlanData[] = [];
  for (const p of topic === undefined ? plan : [topic, ...plan])
    if (liveOnly(p, start)) live.push(asUserId(p.uid));
    else full.push(toData(p));
  return {
    recipients: full,
    ...(live.length === 0 ? {} : { live, liveAt: new Date(start).toISOString() }),
    ...variantsOfBatch(cmd.data.opts, cmd.data.mid, plan),
  };
};

/**
 * A split page (domain/delivery/live-split.ts): only `rest` is planned. Undefined when one of
 * the rest turns out live-only too (a step past the message's lifetime, say): then the page is
 * planned whole, so the list is the one the whole plan gives, in the same order.
 */
const splitPage = (
  cmd: PlanBatches,
  split: LiveSplit,
  start: number,
): Pick<TriagedData, 'recipients' | 'live' | 'liveOf' | 'liveAt'> | undefined => {
  const full: RecipientPlanData[] = [];
  for (const p of planDelivery(cmd.message, split.rest, cmd.config, cmd.now).recipients) {
    if (liveOnly(p, start)) return undefined;
    full.push(toData(p));
  }
  if (split.live.length === 0) return { recipients: full };
  const root = split.root;
  // A reference only where no reader needs the uids themselves: dispatch's collapse fold does.
  const byRef = root !== undefined && root.urgency === cmd.data.urgency && cmd.message.collapse === undefined;
  return {
    recipients: full,
    ...(byRef
      ? { liveOf: { mid: asMessageId(root.mid), batch: root.batch, count: split.live.length } }
      : { live: split.live }),
    liveAt: new Date(start).toISOString(),
  };
};

export const decidePlan = (cmd: PlanBatches, s: TriageState): Intent => {
  const cursor = cursorOf(s);
  if (cursor === 'done') return ignore('triaged');
  const base = {
    mid: asMessageId(cmd.data.mid),
    due: new Date(cmd.message.due).toISOString(),
    expiresAt: new Date(cmd.expiresAt).toISOString(),
    urgency: cmd.data.urgency,
    ...(cmd.message.collapse === undefined ? {} : { collapse: cmd.message.collapse }),
  };
  const stop = stopped(cmd.status, cmd.now, cmd.expiresAt);
  if (stop !== undefined)
    return append(triageStream(cmd.data.mid), s.revision, [
      { type: 'MessageTriaged', data: { ...base, batch: cursor.batch, recipients: [], skipped: stop } },
    ]);
  if (cmd.pages.length === 0) return ignore('no audience page given');
  // The thread's MQTT topic belongs to the message, not to a recipient: it rides in batch 0,
  // which is written once (domain/triage/topics.ts says why there).
  const tid = cmd.data.audience.kind === 'thread' ? cmd.data.audience.tid : undefined;
  const start = Math.max(cmd.message.due, cmd.now);
  const topic =
    cursor.batch === 0 ? threadTopicPlan(cmd.message, tid, cmd.data.from, cmd.config, start, cmd.expiresAt) : undefined;
  // A split page is planned for its rest only when the message plans the split's live-only
  // recipients as `splitsLive` says and has no A/B variants (their assignment is written per
  // recipient of the batch).
  const splits = splitsLive(cmd.message, cmd.config) && variantsOf(cmd.data.opts) === undefined;
  const batches = cmd.pages.map((page, i): TriagedData => {
    const withTopic = i === 0 && topic !== undefined;
    const split = page.split !== undefined && splits && !withTopic ? splitPage(cmd, page.split, start) : undefined;
    return {
      ...base,
      batch: cursor.batch + i,
      ...(split ??
        wholePage(
          cmd,
          withTopic ? topic : undefined,
          planDelivery(cmd.message, page.items, cmd.config, cmd.now).recipients,
          start,
        )),
      ...(page.next === undefined ? {} : { next: page.next }),
    };
  });
  return append(
    triageStream(cmd.data.mid),
    s.revision,
    batches.map((data) => ({ type: 'MessageTriaged', data })),
  );
};
