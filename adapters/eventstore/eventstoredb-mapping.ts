import { createHash } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AllStreamResolvedEvent, JSONEventType, Position, ResolvedEvent } from '@kurrent/kurrentdb-client';
import { StoredMetadata, type EventMetadata } from '../../schema/metadata.js';
import type { EventToAppend, RecordedEvent } from '../../ports/eventstore.js';

// How the port maps onto EventStoreDB / KurrentDB. NOT RUN AGAINST A SERVER HERE (none can
// be had on this machine); written from the client's types and the server's documented
// behaviour, and checked by the shared contract suite whenever MSGXC_EVENTSTORE_URL is set.
//
// Stream names: `<prefix><stream>`. The prefix keeps our streams apart from anything else
// in the database, gives $all reads and subscriptions a server-side filter (which also
// leaves out the `$`-named system streams), and lets tests isolate themselves.
//
// Positions: our number is the event's PREPARE position in the transaction log, a byte
// offset that is unique per event and grows in $all order (atomic appends are written
// contiguously by the server's single writer). On EventStoreDB 20+ appends through gRPC
// the commit position of an event equals its prepare position, so resuming "after p" reads
// $all from {commit: p, prepare: p}; that read is inclusive, so events at or before p are
// dropped on our side. Should a server ever hand out a shared commit for a batch, the read
// from {p, p} starts earlier, never later, and the same filter keeps it exact. Positions
// stay below 2^53 for transaction logs under 8 PiB. Event positions on stream reads need
// EventStoreDB 22.6 or later.

export const toPosition = (p: Position): number => {
  if (p.prepare > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`log position ${String(p.prepare)} exceeds 2^53`);
  return Number(p.prepare);
};

export const fromPosition = (after: number): Position => ({ commit: BigInt(after), prepare: BigInt(after) });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// EventStoreDB event ids are UUIDs and make appends idempotent: a retried append with the
// same ids at the same expected revision succeeds without writing twice. Our event ids are
// UUIDs when the broker makes them; any other id becomes a name-based UUID (v5 layout over
// SHA-1), so the same event always gets the same id.
export const eventUuid = (eventId: string): string => {
  if (UUID.test(eventId)) return eventId.toLowerCase();
  const h = createHash('sha1').update('msgxc-event:').update(eventId).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

// `$correlationId`/`$causationId` are the metadata keys the server's own projections
// understand ($by_correlation_id); they are copies, dropped again on read.
export const toEventData = (e: EventToAppend) => ({
  id: eventUuid(e.metadata.eventId),
  contentType: 'application/json' as const,
  type: e.type,
  // Any JSON value: the client JSON.stringify-s it, and JSON.parse-s it back on read.
  data: e.data as JSONEventType['data'],
  metadata: { ...e.metadata, $correlationId: e.metadata.correlationId, $causationId: e.metadata.causationId },
});

const ourMetadata = (raw: unknown, where: string): EventMetadata => {
  const ours =
    typeof raw === 'object' && raw !== null && !(raw instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith('$')))
      : raw;
  const decoded = StoredMetadata.decode(ours);
  if (isLeft(decoded)) throw new Error(`EventStoreDB event ${where} has no msgxc metadata`);
  return decoded.right;
};

/** undefined for what is not one of our events (system events, links, foreign streams). */
export const toRecordedEvent = (
  prefix: string,
  resolved: ResolvedEvent | AllStreamResolvedEvent,
): RecordedEvent | undefined => {
  const e = resolved.event;
  if (e === undefined || e.type.startsWith('$') || !e.streamId.startsWith(prefix)) return undefined;
  if (e.position === undefined)
    throw new Error('EventStoreDB returned an event without its log position: msgxc needs EventStoreDB 22.6 or later');
  if (!e.isJson) throw new Error(`EventStoreDB event ${e.streamId}@${String(e.revision)} is not JSON`);
  return {
    stream: e.streamId.slice(prefix.length),
    revision: Number(e.revision),
    position: toPosition(e.position),
    type: e.type,
    data: e.data,
    metadata: ourMetadata(e.metadata, `${e.streamId}@${String(e.revision)}`),
  };
};
