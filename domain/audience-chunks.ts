import * as E from 'fp-ts/lib/Either.js';
import type { AudienceChunkEvent } from '../schema/events.js';
import type { MessageId, UserId } from '../schema/ids.js';
import type { Decider } from './decider.js';
import { conflict, invalid } from './errors.js';

// The parts of a chunked audience (issue 13, docs/audiences.md), stream `audience-<mid>`: a
// segment or query audience too large for one event is appended part by part, in uid order,
// before its message. The state keeps only how far the parts reach (never the uids), so a
// resolution interrupted by a crash resumes after the last durable part, and a part out of
// order (two writers of the same mid) is refused instead of mixed in.

export interface AudienceChunksState {
  /** Parts appended so far (the next part's number). */
  readonly parts: number;
  /** Uids in them. */
  readonly count: number;
  /** The last uid of the last part: the next part starts after it. */
  readonly last?: UserId;
}

export interface AppendAudienceChunk {
  readonly type: 'AppendAudienceChunk';
  readonly mid: MessageId;
  readonly part: number;
  readonly uids: readonly UserId[];
}

const ascending = (uids: readonly UserId[], after: UserId | undefined): boolean =>
  uids.every((u, i) => (i === 0 ? after === undefined || u > after : u > (uids[i - 1] ?? '')));

export const audienceChunksDecider: Decider<AppendAudienceChunk, AudienceChunkEvent, AudienceChunksState> = {
  initialState: () => ({ parts: 0, count: 0 }),
  evolve: (s, e) => {
    const last = e.data.uids[e.data.uids.length - 1];
    return { parts: s.parts + 1, count: s.count + e.data.uids.length, ...(last === undefined ? {} : { last }) };
  },
  decide: (c, s) => {
    if (c.part !== s.parts)
      return E.left(conflict('AudienceChunkIsOutOfOrder', `audience of ${c.mid}: part ${c.part} after ${s.parts}`));
    if (c.uids.length === 0 || !ascending(c.uids, s.last))
      return E.left(invalid('AudienceChunkIsUnordered', `audience of ${c.mid}: part ${c.part} is empty or unordered`));
    return E.right([{ type: 'AudienceChunk', data: { mid: c.mid, part: c.part, uids: [...c.uids] } }]);
  },
};
