import type * as t from 'io-ts';
import type { Decider } from '../domain/decider.js';
import { inboxDecider } from '../domain/inbox.js';
import type { InboxCommand, InboxState } from '../domain/inbox.js';
import { messageDecider } from '../domain/message.js';
import type { MessageCommand } from '../domain/message.js';
import type { MessageState } from '../domain/message-state.js';
import { threadDecider } from '../domain/thread.js';
import type { ThreadCommand } from '../domain/thread.js';
import type { ThreadState } from '../domain/thread-state.js';
import { userDecider } from '../domain/user.js';
import type { UserCommand } from '../domain/user.js';
import type { UserState } from '../domain/user-state.js';
import { AudienceChunk, InboxEvent, MessageEvent, SegmentEvent, ThreadEvent, UserEvent } from '../schema/events.js';
import { segmentDecider } from '../domain/segment.js';
import { audienceChunksDecider } from '../domain/audience-chunks.js';
import type { AppendAudienceChunk, AudienceChunksState } from '../domain/audience-chunks.js';
import type { AudienceChunkEvent } from '../schema/events.js';
import type { DefineSegment, SegmentState } from '../domain/segment.js';

/** A decider plus the codec its stored events are decoded with when read back. */
export interface Aggregate<C, E, S> extends Decider<C, E, S> {
  readonly codec: t.Decoder<unknown, E> & { readonly is: t.Is<E> };
}

export const users: Aggregate<UserCommand, UserEvent, UserState> = { ...userDecider, codec: UserEvent };
export const threads: Aggregate<ThreadCommand, ThreadEvent, ThreadState> = { ...threadDecider, codec: ThreadEvent };
export const messages: Aggregate<MessageCommand, MessageEvent, MessageState> = {
  ...messageDecider,
  codec: MessageEvent,
};
export const inboxes: Aggregate<InboxCommand, InboxEvent, InboxState> = { ...inboxDecider, codec: InboxEvent };
export const segments: Aggregate<DefineSegment, SegmentEvent, SegmentState> = {
  ...segmentDecider,
  codec: SegmentEvent,
};
export const audienceChunks: Aggregate<AppendAudienceChunk, AudienceChunkEvent, AudienceChunksState> = {
  ...audienceChunksDecider,
  codec: AudienceChunk,
};
