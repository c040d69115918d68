import { streams } from '../../schema/events.js';
import type { Explanation, LoggedEvent } from '../../schema/explain.js';
import { messageHead, stepStreams, triageStory } from '../../domain/explain/plan.js';
import { explainRecipient } from '../../domain/explain/recipient.js';
import { triageStream } from '../../domain/triage/keys.js';
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
  const read = async (stream: string): Promise<readonly LoggedEvent[]> => (await store.read(stream)).map(logged);
  const head = messageHead(await read(streams.message(q.mid)));
  if (head === undefined || !q.mayRead(head.from)) return undefined;
  const story = triageStory(await read(triageStream(q.mid)));
  const chosen = q.uid !== undefined ? story.recipients.filter((r) => r.uid === q.uid) : story.recipients;
  const start = q.after === undefined ? 0 : chosen.findIndex((r) => r.uid === q.after) + 1;
  const page = chosen.slice(start, start + q.limit);
  const recipients = await Promise.all(
    page.map(async (r) => {
      const steps = stepStreams(q.mid, r);
      const names = [
        ...new Set(steps.flatMap((s) => (s.digestStream === null ? [s.stream] : [s.stream, s.digestStream]))),
      ];
      const [byStream, inbox, user] = await Promise.all([
        Promise.all(names.map(async (n) => [n, await read(n)] as const)),
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
