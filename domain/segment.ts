import * as E from 'fp-ts/lib/Either.js';
import type { SegmentEvent } from '../schema/events.js';
import type { MessageId } from '../schema/ids.js';
import type { SegmentQuery } from '../schema/segment-query.js';
import { canonicalQuery } from '../schema/segment-query.js';
import type { Caller } from './caller.js';
import type { Decider } from './decider.js';
import { conflict, forbidden } from './errors.js';

// A segment: a named audience query, saved once under an id the API chose (stable across a
// retried request). Defining it again with the same name and query is already satisfied;
// another definition under the same id is a conflict (a segment never changes: what it
// selected is what the audit trail says it selected).

export type SegmentState =
  | { readonly stage: 'Absent' }
  | { readonly stage: 'Defined'; readonly id: string; readonly name: string; readonly query: SegmentQuery };

export interface DefineSegment {
  readonly type: 'DefineSegment';
  readonly id: MessageId;
  readonly name: string;
  readonly query: SegmentQuery;
  readonly caller: Caller;
}

export const segmentDecider: Decider<DefineSegment, SegmentEvent, SegmentState> = {
  initialState: () => ({ stage: 'Absent' }),
  evolve: (_state, event) => ({ stage: 'Defined', id: event.data.id, name: event.data.name, query: event.data.query }),
  decide: (c, state) => {
    if (!c.caller.admin) return E.left(forbidden('SegmentsNeedAdmin', 'only admins may define segments'));
    if (state.stage === 'Defined')
      return state.name === c.name && canonicalQuery(state.query) === canonicalQuery(c.query)
        ? E.right([])
        : E.left(conflict('SegmentIsDefined', `segment ${c.id} is already defined otherwise`));
    return E.right([{ type: 'SegmentDefined', data: { id: c.id, name: c.name, query: c.query, by: c.caller.uid } }]);
  },
};
