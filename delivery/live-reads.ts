import * as E from 'fp-ts/lib/Either.js';
import type { AudienceParts } from '../commands/audience-parts.js';
import type { Commands } from '../commands/types.js';
import type { EventOf } from '../schema/events.js';
import type { MessageId } from '../schema/ids.js';
import type { Audience } from '../schema/message.js';

// What the live follower asks about a message: whom a retraction concerns, and whether a
// scheduled message is still live when it falls due (and what it says). Both are read from
// the message's fold (the command side's load), never from raw events.
export interface LiveReads {
  /** Audience of a message (for retractions, whose event does not repeat it). */
  readonly audienceOf: (mid: MessageId) => Promise<Audience | undefined>;
  /** The message as published, unless it was cancelled or retracted (asked when a scheduled one falls due). */
  readonly liveMessage: (mid: MessageId) => Promise<EventOf<'MessagePublished'>['data'] | undefined>;
  /** The parts of a chunked audience (a segment or query over 10,000 users), read one at a time. */
  readonly parts: AudienceParts;
}

const NO_PARTS: AudienceParts = {
  part: (mid) => Promise.reject(new Error(`audience of ${mid}: this node reads no audience parts`)),
};

export const messageLiveness = (commands: Pick<Commands, 'loadMessage'>, parts = NO_PARTS): LiveReads => {
  const folded = async (mid: MessageId) => {
    const state = await commands.loadMessage(mid);
    return E.isRight(state) ? state.right : undefined;
  };
  return {
    parts,
    audienceOf: async (mid) => {
      const state = await folded(mid);
      return state === undefined || state.stage === 'Absent' ? undefined : state.message.audience;
    },
    liveMessage: async (mid) => {
      const state = await folded(mid);
      return state?.stage === 'Published' || state?.stage === 'Scheduled' ? state.message : undefined;
    },
  };
};
