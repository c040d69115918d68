import type { EventOf, MessageEvent } from '../schema/events.js';
import type { UserId } from '../schema/ids.js';
import type { ThreadState } from './thread-state.js';
import { isThreadMember } from './thread-state.js';

export type PublishedMessage = EventOf<'MessagePublished'>['data'];

// "Scheduled" means published with a future send time; whether it is due yet depends on
// the caller's clock, so deciders compare `scheduled` with the command's `now`.
export type MessageState =
  | { readonly stage: 'Absent' }
  | { readonly stage: 'Scheduled'; readonly message: PublishedMessage; readonly scheduled: string }
  | { readonly stage: 'Published'; readonly message: PublishedMessage }
  | { readonly stage: 'Cancelled'; readonly message: PublishedMessage; readonly by: UserId }
  | { readonly stage: 'Retracted'; readonly message: PublishedMessage; readonly by: UserId };

export const initialMessageState = (): MessageState => ({ stage: 'Absent' });

export const evolveMessage = (state: MessageState, event: MessageEvent): MessageState => {
  switch (event.type) {
    case 'MessagePublished': {
      const message = event.data;
      return message.scheduled === undefined
        ? { stage: 'Published', message }
        : { stage: 'Scheduled', message, scheduled: message.scheduled };
    }
    // The audience snapshot comes in the same append just before its MessagePublished (the
    // decider emits both); it changes nothing the message's own decisions depend on.
    case 'AudienceResolved':
      return state;
    case 'MessageCancelled':
      return state.stage === 'Absent' ? state : { stage: 'Cancelled', message: state.message, by: event.data.by };
    case 'MessageRetracted':
      return state.stage === 'Absent' ? state : { stage: 'Retracted', message: state.message, by: event.data.by };
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
};

/**
 * `thread` is the message's thread when it was published to one (ignored otherwise); `listed`
 * is whether the command layer found `uid` in a chunked audience's parts (commands/audience-parts.ts).
 */
export const isRecipient = (message: PublishedMessage, uid: UserId, thread: ThreadState, listed = false): boolean => {
  const audience = message.audience;
  switch (audience.kind) {
    case 'user':
      return audience.uid === uid;
    case 'users':
      return audience.uids.includes(uid);
    case 'everyone':
      return true;
    case 'chunked':
      return listed;
    case 'thread':
      return isThreadMember(thread, uid);
    default: {
      const unhandled: never = audience;
      return unhandled;
    }
  }
};
