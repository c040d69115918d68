import * as E from 'fp-ts/lib/Either.js';
import type { Commands } from '../../commands/types.js';
import type { PublisherDeps } from './publisher.js';

// What the live publisher asks about a message: whom a retraction concerns, and whether a
// scheduled message is still live when it falls due (and what it says). Both are read from
// the message's fold (the command side's load), never from raw events.
export const messageLiveness = (
  commands: Pick<Commands, 'loadMessage'>,
): Pick<PublisherDeps, 'audienceOf' | 'liveMessage'> => {
  const folded = async (mid: Parameters<Commands['loadMessage']>[0]) => {
    const state = await commands.loadMessage(mid);
    return E.isRight(state) ? state.right : undefined;
  };
  return {
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
