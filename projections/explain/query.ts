import { streams } from '../../schema/events.js';
import type { Explanation, LoggedEvent } from '../../schema/explain.js';
import { messageHead, stepStreams, triageStory } from '../../domain/explain/plan.js';
import { explainRecipient } from '../../domain/explain/recipient.js';
import { isGroupStream, triageStream } from '../../domain/triage/keys.js';
import { expandDeliveries, isBatchDelivery } from '../../domain/delivery/batches.js';
import { LiveRef, TriageEvent, liveListOf } from '../../schema/triage-events.js';
import type { EventStore, RecordedEvent } from '../../ports/eventstore.js';

// Explain (issue 12) is a query over the log itself, not over a read model: it reads the
// streams one message's story is in (message-, triage-, each planned step's delivery- and
// digest- stream, the recipient's inbox- and user- stream) and folds them (domain/explain).
// So it is as current as the log, and answers the same on every engine.

const logged = (e: RecordedEvent): LoggedEvent => ({
  type: e.type,
  data: typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : {},
  position: e.position,
  at: e.metadata.occurredAt,
});

/** A batched delivery event reads as the per-unit events it stands for (domain/delivery/batches.ts). */
const expanded = (e: RecordedEvent): LoggedEvent[] => {
  if (!e.type.startsWith('Deliveries')) return [logged(e)];
  const decoded = TriageEvent.decode({ type: e.type, data: e.data });
  if (decoded._tag === 'Left' || !isBatchDelivery(decoded.right)) return [logged(e)];
  return expandDeliveries(decoded.right).map((x) => ({
    type: x.type,
    data: x.data,
    position: e.position,
    at: e.metadata.occurredAt,
  }));
};

/**
 * A batch that names its live list (`liveOf`, issue 15) reads as if it carried it: the list is
 * that of the named batch of the named message's triage stream (never itself a reference).
 */
const withLiveLists = async (
  events: readonly LoggedEvent[],
  read: (stream: string) => Promise<readonly LoggedEvent[]>,
): Promise<readonly LoggedEvent[]> => {
  // The batches of one message name the batches of one earlier message: its stream is read once.
  const streams = new Map<string, Promise<readonly LoggedEvent[]>>();
  const once = (stream: string): Promise<readonly LoggedEvent[]> => {
    const known = streams.get(stream) ?? read(stream);
    streams.set(stream, known);
    return known;
  };
  return Promise.all(
    events.map(async (e) => {
      const ref = e.type === 'MessageTriaged' ? LiveRef.decode(e.data['liveOf']) : undefined;
      if (ref === undefined || ref._tag === 'Left') return e;
      const live = liveListOf(await once(triageStream(ref.right.mid)), ref.right.batch);
      return live === undefined ? e : { ...e, data: { ...e.data, live } };
    }),
  );
};

export interface ExplainQuery {
  readonly mid: string;
  /** Only this recipient. */
  readonly uid?: string;
  /** The page after this recipient (planned order). */
  readonly after?: string;
  readonly limit: number;
  /** Whether the caller may see a message from this sender; checked before anything else is read. */
  readonly mayRead: (from: string) => boolean;
}

/** The story, or undefined when the message was never published or is hidden from the caller. */
export const explainMessage = async (
  store: Pick<EventStore, 'read'>,
  q: ExplainQuery,
): Promise<Explanation | undefined> => {
  const read = async (stream: string): Promise<readonly LoggedEvent[]> => (await store.read(stream)).flatMap(expanded);
  // A group stream is read once per page, not once per recipient.
  const groups = new Map<string, Promise<readonly LoggedEvent[]>>();
  const readShared = (stream: string): Promise<readonly LoggedEvent[]> => {
    if (!isGroupStream(stream)) return read(stream);
    const known = groups.get(stream) ?? read(stream);
    groups.set(stream, known);
    return known;
  };
  const head = messageHead(await read(streams.message(q.mid)));
  if (head === undefined || !q.mayRead(head.from)) return undefined;
  const story = triageStory(await withLiveLists(await read(triageStream(q.mid)), read));
  const chosen = q.uid !== undefined ? story.recipients.filter((r) => r.uid === q.uid) : story.recipients;
  const start = q.after === undefined ? 0 : chosen.findIndex((r) => r.uid === q.after) + 1;
  const page = chosen.slice(start, start + q.limit);
  const recipients = await Promise.all(
    page.map(async (r) => {
      const steps = stepStreams(q.mid, r);
      const names = [
        ...new Set(
          steps.flatMap((s) => (s.digestStream === null ? [s.stream, s.group] : [s.stream, s.group, s.digestStream])),
        ),
      ];
      const [byStream, inbox, user] = await Promise.all([
        Promise.all(names.map(async (n) => [n, await readShared(n)] as const)),
        read(streams.inbox(r.uid)),
        read(streams.user(r.uid)),
      ]);
      return explainRecipient(q.mid, head.position, r, steps, { streams: new Map(byStream), inbox, user });
    }),
  );
  const last = page[page.length - 1];
  const more = start + q.limit < chosen.length && last !== undefined;
  return {
    mid: head.mid,
    from: head.from,
    status: head.status,
    publishedAt: head.publishedAt,
    scheduled: head.scheduled,
    urgency: head.urgency,
    audience: head.audience,
    triage: story.triage,
    recipients,
    recipientsPlanned: story.recipients.length,
    next: more ? last.uid : null,
  };
};
