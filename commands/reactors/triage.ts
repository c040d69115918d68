import type { Database } from 'better-sqlite3';
import type { Clock } from '../../ports/clock.js';
import type { EventStore } from '../../ports/eventstore.js';
import { resumeAfter } from '../../domain/triage/batches.js';
import type { BatchCursor } from '../../domain/triage/batches.js';
import type { TriageConfig } from '../../domain/triage/config.js';
import { triageStream } from '../../domain/triage/keys.js';
import { expiryOf, messageFacts } from '../../domain/triage/message.js';
import { planDelivery } from '../../domain/triage/plan.js';
import type { RecipientFacts, RecipientPlan } from '../../domain/triage/types.js';
import { directoryFold } from '../../projections/deliveries/directory.js';
import { directoryQueries } from '../../projections/deliveries/directory-queries.js';
import type { DirectoryMessage } from '../../projections/deliveries/directory-queries.js';
import { asDeviceId, asMessageId, asUserId } from '../../schema/ids.js';
import type { RecipientPlanData, TriageEventOf } from '../../schema/triage-events.js';
import { reactorAppend } from './append.js';
import { audiencePage } from './audience.js';
import { startLogReactor } from './log-reactor.js';
import type { LogReactor } from './log-reactor.js';
import type { ReactorLog } from './ports.js';
import type { Presence } from '../../ports/presence.js';

// The triage reactor: folds the directory, and turns each MessagePublished (at once) or
// MessageDue (a scheduled message whose time came) into MessageTriaged batches on the
// message's triage stream. Batches are written with expected revisions, so a replay after
// a crash resumes after the last batch in the log instead of writing any twice.
export const TRIAGE_REACTOR = 'triage';

type TriagedData = TriageEventOf<'MessageTriaged'>['data'];
const BATCHES_PER_APPEND = 4;

const TYPES = new Set([
  'UserRecognized',
  'DeviceEnlisted',
  'DeviceRevoked',
  'ContactPointsChanged',
  'ChannelPreferencesChanged',
  'ThreadCreated',
  'ThreadMemberAdded',
  'ThreadMemberRemoved',
  'MessagePublished',
  'MessageCancelled',
  'MessageRetracted',
  'MessageDue',
]);

export interface TriageReactorOptions {
  readonly store: EventStore;
  readonly db: Database;
  readonly presence: Presence;
  readonly clock: Clock;
  readonly config: TriageConfig;
  readonly log: ReactorLog;
  readonly afterBatch?: () => void;
}

const toData = (p: RecipientPlan): RecipientPlanData => ({
  uid: asUserId(p.uid),
  online: p.online,
  steps: p.steps.map((s) => ({
    channel: s.channel,
    at: new Date(s.at).toISOString(),
    reason: s.reason,
    ...(s.deviceId === undefined ? {} : { deviceId: asDeviceId(s.deviceId) }),
    ...(s.digest === undefined ? {} : { digest: new Date(s.digest).toISOString() }),
  })),
});

export const createTriageReactor = (o: TriageReactorOptions): LogReactor => {
  const dir = directoryQueries(o.db);
  const fold = directoryFold(o.db);
  const append = reactorAppend(o.store, o.clock);

  const facts = (uid: string, tid: string | undefined): RecipientFacts => {
    const p = dir.profile(uid, tid);
    return {
      uid,
      online: o.presence.isOnline(uid),
      devices: p.devices,
      hasEmail: p.email !== null,
      hasCell: p.cell !== null,
      channels: p.channels,
      ...(p.threadChannels === undefined ? {} : { threadChannels: p.threadChannels }),
    };
  };

  const triage = async (m: DirectoryMessage, causationId: string): Promise<void> => {
    const { data } = m;
    const stream = triageStream(data.mid);
    const tid = data.audience.kind === 'thread' ? data.audience.tid : undefined;
    const thread = tid === undefined ? undefined : dir.thread(tid);
    const message = messageFacts(data, thread);
    const expiresAt = expiryOf(message, o.config);
    const cause = { correlationId: m.correlationId, causationId };
    const base = {
      mid: asMessageId(data.mid),
      due: new Date(message.due).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      urgency: data.urgency,
      ...(message.collapse === undefined ? {} : { collapse: message.collapse }),
    };
    const lastWritten = async (): Promise<{ revision: number; last: TriagedData | undefined }> => {
      const written = await o.store.read(stream);
      return {
        revision: written.length - 1,
        last: written.findLast((r) => r.type === 'MessageTriaged')?.data as TriagedData | undefined,
      };
    };
    const planBatch = (cursor: BatchCursor, now: number): TriagedData => {
      const stopped =
        m.status === 'cancelled' || m.status === 'retracted' ? 'cancelled' : now > expiresAt ? 'expired' : undefined;
      if (stopped !== undefined) return { ...base, batch: cursor.batch, recipients: [], skipped: stopped };
      const page = audiencePage(dir, m, cursor.after, o.config.batchSize);
      // The sender is not notified of their own message.
      const recipients = page.items.filter((uid) => uid !== data.from).map((uid) => facts(uid, tid));
      const plan = planDelivery(message, recipients, o.config, now);
      return {
        ...base,
        batch: cursor.batch,
        recipients: plan.recipients.map(toData),
        ...(page.next === undefined ? {} : { next: page.next }),
      };
    };
    let { revision, last } = await lastWritten();
    for (let cursor = resumeAfter(last); cursor !== 'done'; ) {
      // A few batches per append (each still its own event) so a large audience does not wait
      // for one commit per batch; memory stays bounded by BATCHES_PER_APPEND x batchSize.
      const now = o.clock.now().getTime();
      const batches: TriagedData[] = [];
      for (
        let next: BatchCursor | 'done' = cursor;
        next !== 'done' && batches.length < BATCHES_PER_APPEND;
        next = resumeAfter(batches[batches.length - 1])
      ) {
        batches.push(planBatch(next, now));
      }
      const result = await append(
        stream,
        batches.map((data) => ({ type: 'MessageTriaged', data })),
        revision,
        cause,
      );
      if (result.kind === 'appended') {
        revision = result.nextRevision;
        cursor = resumeAfter(batches[batches.length - 1]);
      } else {
        // Another writer got there first: continue after what it wrote.
        ({ revision, last } = await lastWritten());
        cursor = resumeAfter(last);
      }
    }
  };

  return startLogReactor({
    name: TRIAGE_REACTOR,
    store: o.store,
    db: o.db,
    types: TYPES,
    log: o.log,
    ...(o.afterBatch === undefined ? {} : { afterBatch: o.afterBatch }),
    fold: (event, at) => {
      fold(event, at);
      const due =
        (event.type === 'MessagePublished' && event.data.scheduled === undefined) || event.type === 'MessageDue';
      if (!due) return undefined;
      const m = dir.message(event.data.mid);
      return m === undefined ? undefined : () => triage(m, at.eventId);
    },
  });
};
