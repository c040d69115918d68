import type { EventStore } from '../ports/eventstore.js';
import { AudienceChunk, streams } from '../schema/events.js';

// Reading a chunked audience (schema/message.ts, kind `chunked`) one part at a time: part `n`
// is revision `n` of `audience-<mid>`, so every reader (triage, realtime, membership checks)
// holds at most one part (LIMITS.audienceChunk uids) in memory, whatever the audience's size.

export interface AudienceParts {
  /** The uids of part `part`, in uid order; a missing part is an error (the message names it). */
  part(mid: string, part: number): Promise<readonly string[]>;
}

export const audienceParts = (store: Pick<EventStore, 'read'>): AudienceParts => ({
  part: async (mid, part) => {
    const [r] = await store.read(streams.audience(mid), { fromRevision: part, limit: 1 });
    const decoded = r === undefined ? undefined : AudienceChunk.decode({ type: r.type, data: r.data });
    if (decoded?._tag !== 'Right' || decoded.right.data.part !== part)
      throw new Error(`audience of ${mid}: part ${part} is missing or unreadable`);
    return decoded.right.data.uids;
  },
});

/**
 * Whether `uid` is in the audience: the parts are in uid order, so a binary search over them
 * reads about log2(chunks) parts (9 for a million users).
 */
export const inAudience = async (parts: AudienceParts, mid: string, chunks: number, uid: string): Promise<boolean> => {
  let lo = 0;
  let hi = chunks - 1;
  while (lo <= hi) {
    const at = (lo + hi) >> 1;
    const uids = await parts.part(mid, at);
    const first = uids[0];
    const last = uids[uids.length - 1];
    if (first === undefined || last === undefined) return false;
    if (uid < first) hi = at - 1;
    else if (uid > last) lo = at + 1;
    else return uids.includes(uid);
  }
  return false;
};

/**
 * A page of `size` uids after `cursor` ('' first, then `part:offset` strings this answers):
 * bounded by one part, so a page may hold fewer than `size` and still have a `next`.
 */
export const chunkedPage = async (
  parts: AudienceParts,
  mid: string,
  chunks: number,
  cursor: string,
  size: number,
): Promise<{ items: readonly string[]; next?: string }> => {
  const [p, o] = cursor === '' ? [0, 0] : cursor.split(':').map(Number);
  const part = p ?? 0;
  const offset = o ?? 0;
  if (!Number.isInteger(part) || !Number.isInteger(offset) || part >= chunks) return { items: [] };
  const uids = await parts.part(mid, part);
  const items = uids.slice(offset, offset + size);
  const end = offset + items.length;
  const next = end < uids.length ? `${part}:${end}` : part + 1 < chunks ? `${part + 1}:0` : undefined;
  return next === undefined ? { items } : { items, next };
};
