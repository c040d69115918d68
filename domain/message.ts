import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { AudienceSource, MessageEvent } from '../schema/events.js';
import type { MessageId, ThreadId } from '../schema/ids.js';
import { DEFAULT_URGENCY } from '../schema/message.js';
import type { Audience, Urgency } from '../schema/message.js';
import type { Caller } from './caller.js';
import type { Decider } from './decider.js';
import { deepEqual } from './equal.js';
import { conflict, forbidden, notFound } from './errors.js';
import type { DomainError } from './errors.js';
import { checkVariants } from './variants.js';
import { checkThrottle } from './throttle.js';
import { checkAudience, checkSchedule, dueDate, requestedUrgency } from './message-content.js';
import type { ContentInput } from './message-content.js';
import { evolveMessage, initialMessageState } from './message-state.js';
import type { MessageState, PublishedMessage } from './message-state.js';

// `managesThread` and `isRecipient` are facts the command layer reads from the message's
// thread (owner, thread admin, or global admin; member); the decider stays a function of its inputs.
export type MessageCommand =
  | {
      readonly type: 'Publish';
      readonly mid: MessageId;
      readonly caller: Caller;
      readonly audience: Audience;
      readonly content: ContentInput;
      readonly threadUrgency?: Urgency;
      readonly now: Date;
      /** The audience was resolved from a segment or query: recorded as AudienceResolved before the message. */
      readonly resolvedFrom?: AudienceSource;
    }
  | {
      readonly type: 'Cancel';
      readonly mid: MessageId;
      readonly tid?: ThreadId;
      readonly caller: Caller;
      readonly managesThread: boolean;
      readonly isRecipient: boolean;
      readonly now: Date;
    }
  | { readonly type: 'Retract'; readonly mid: MessageId; readonly caller: Caller; readonly managesThread: boolean };

type Decision = Either<DomainError, readonly MessageEvent[]>;
const none: Decision = E.right([]);

// A message the caller may not see (neither its sender, a recipient, nor an admin) gets exactly
// this answer, like an unknown mid: no status, body or thread check tells them it exists.
export const messageNotFound = notFound('MessageNotFound', 'no message has this mid');
export const messageBelongsToItsSender = forbidden(
  'MessageBelongsToItsSender',
  'only the sender or an admin may change this message',
);

export const mayManageMessage = (message: PublishedMessage, caller: Caller, managesThread: boolean): boolean =>
  message.from === caller.uid || caller.admin || (message.audience.kind === 'thread' && managesThread);

// Publishing is idempotent by mid: the same sender repeating the same message (only `at`
// differs on a retry) is already satisfied; anything else reusing the mid is a conflict.
const samePublication = (a: PublishedMessage, b: PublishedMessage): boolean =>
  deepEqual({ ...a, at: '' }, { ...b, at: '' });

// The snapshot reference of a resolved audience: who was targeted is the published uid list
// itself (appended with it, atomically), or for a chunked audience its parts (appended before
// it, each durable), so the event records where it came from and how many.
const resolution = (c: Extract<MessageCommand, { type: 'Publish' }>, m: PublishedMessage): MessageEvent[] =>
  c.resolvedFrom === undefined || (m.audience.kind !== 'users' && m.audience.kind !== 'chunked')
    ? []
    : [
        {
          type: 'AudienceResolved',
          data: {
            mid: c.mid,
            source: c.resolvedFrom,
            count: m.audience.kind === 'users' ? m.audience.uids.length : m.audience.count,
            by: c.caller.uid,
            at: m.at,
          },
        },
      ];

const publish = (c: Extract<MessageCommand, { type: 'Publish' }>, s: MessageState): Decision =>
  pipe(
    E.Do,
    E.bind('urgency', () => requestedUrgency(c.content.opts)),
    E.bind('variants', () => checkVariants(c.content.opts)),
    E.bind('throttle', () => checkThrottle(c.content.opts)),
    E.bind('audience', () => checkAudience(c.audience)),
    // A retry resolves a local schedule from the first publication, so it decides the same instant.
    E.bind('scheduled', () =>
      s.stage === 'Absent'
        ? checkSchedule(dueDate(c.content, c.now), c.now)
        : checkSchedule(dueDate(c.content, new Date(s.message.at)), undefined),
    ),
    E.flatMap((v): Decision => {
      const message: PublishedMessage = {
        mid: c.mid,
        from: c.caller.uid,
        audience: v.audience,
        msg: c.content.msg,
        opts: c.content.opts,
        urgency: v.urgency ?? c.threadUrgency ?? DEFAULT_URGENCY,
        at: c.now.toISOString(),
        ...(v.scheduled !== undefined ? { scheduled: v.scheduled } : {}),
        ...(c.content.local !== undefined ? { local: c.content.local } : {}),
        ...(c.content.subject !== undefined ? { subject: c.content.subject } : {}),
      };
      if (s.stage === 'Absent')
        return E.right([...resolution(c, message), { type: 'MessagePublished', data: message }]);
      return samePublication(s.message, message)
        ? none
        : E.left(conflict('MessageIdIsTaken', `mid ${c.mid} was already used for another message`));
    }),
  );

const cancel = (
  c: Extract<MessageCommand, { type: 'Cancel' }>,
  s: Exclude<MessageState, { stage: 'Absent' }>,
): Decision => {
  const audience = s.message.audience;
  const manages = mayManageMessage(s.message, c.caller, c.managesThread);
  // Visibility first: otherwise a stranger could learn a hidden message's thread by trying tids.
  if (!manages && !c.isRecipient) return E.left(messageNotFound);
  if (c.tid !== undefined && (audience.kind !== 'thread' || audience.tid !== c.tid)) return E.left(messageNotFound);
  if (!manages) return E.left(messageBelongsToItsSender);
  const cancelled: MessageEvent = { type: 'MessageCancelled', data: { mid: c.mid, by: c.caller.uid } };
  switch (s.stage) {
    case 'Cancelled':
      return none;
    case 'Retracted':
      return E.left(conflict('MessageWasRetracted', 'the message was retracted'));
    case 'Published':
      return E.left(conflict('MessageIsNotScheduled', 'only a scheduled message can be cancelled'));
    case 'Scheduled':
      return c.now.getTime() < Date.parse(s.scheduled)
        ? E.right([cancelled])
        : E.left(conflict('MessageAlreadyDue', 'the message is already due'));
    default: {
      const unhandled: never = s;
      return unhandled;
    }
  }
};

const retract = (
  c: Extract<MessageCommand, { type: 'Retract' }>,
  s: Exclude<MessageState, { stage: 'Absent' }>,
): Decision => {
  if (!mayManageMessage(s.message, c.caller, c.managesThread)) return E.left(messageBelongsToItsSender);
  // A cancelled message was never delivered, so it is already gone for everyone.
  return s.stage === 'Retracted' || s.stage === 'Cancelled'
    ? none
    : E.right([{ type: 'MessageRetracted', data: { mid: c.mid, by: c.caller.uid } }]);
};

export const decideMessage = (command: MessageCommand, state: MessageState): Decision => {
  switch (command.type) {
    case 'Publish':
      return publish(command, state);
    case 'Cancel':
      return state.stage === 'Absent' ? E.left(messageNotFound) : cancel(command, state);
    case 'Retract':
      return state.stage === 'Absent' ? E.left(messageNotFound) : retract(command, state);
    default: {
      const unhandled: never = command;
      return unhandled;
    }
  }
};

export const messageDecider: Decider<MessageCommand, MessageEvent, MessageState> = {
  initialState: initialMessageState,
  evolve: evolveMessage,
  decide: decideMessage,
};
