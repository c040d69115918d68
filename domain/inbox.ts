import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { InboxEvent, ReceiptStatus } from '../schema/events.js';
import type { MessageId, ThreadId, UserId } from '../schema/ids.js';
import type { Decider } from './decider.js';
import { dedupe, sameList } from './equal.js';
import { invalid } from './errors.js';
import type { DomainError } from './errors.js';

// Inbox events are receipts: they may always be appended. The state keeps just enough to
// skip exact repeats cheaply (a client resending the same ack or marker), and stays small
// however long the inbox lives.
export interface InboxState {
  readonly lastAck:
    | { readonly status: ReceiptStatus; readonly mids: readonly MessageId[]; readonly channel?: string }
    | undefined;
  /** Last-read marker per thread ('' for the user's whole inbox). */
  readonly lastRead: ReadonlyMap<string, MessageId>;
  readonly recentlyDeleted: readonly MessageId[];
}

export type InboxCommand =
  | {
      readonly type: 'Acknowledge';
      readonly uid: UserId;
      readonly mids: readonly MessageId[];
      readonly status: ReceiptStatus;
      /** Where the receipt came from (`api`, `websocket`, `webpush`...); stored as given. */
      readonly channel?: string;
    }
  | { readonly type: 'MarkRead'; readonly uid: UserId; readonly mid: MessageId; readonly tid?: ThreadId }
  | { readonly type: 'DeleteFromInbox'; readonly uid: UserId; readonly mids: readonly MessageId[] };

export const MAX_MIDS = 1000;
const RECENT_DELETIONS = 512;

export const initialInboxState = (): InboxState => ({ lastAck: undefined, lastRead: new Map(), recentlyDeleted: [] });

export const evolveInbox = (state: InboxState, event: InboxEvent): InboxState => {
  switch (event.type) {
    case 'MessagesAcknowledged':
      return {
        ...state,
        lastAck: {
          status: event.data.status,
          mids: event.data.mids,
          ...(event.data.channel !== undefined ? { channel: event.data.channel } : {}),
        },
      };
    case 'LastReadMarked':
      return { ...state, lastRead: new Map(state.lastRead).set(event.data.tid ?? '', event.data.mid) };
    case 'MessageDeletedFromInbox':
      return { ...state, recentlyDeleted: [...state.recentlyDeleted, ...event.data.mids].slice(-RECENT_DELETIONS) };
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
};

const checkMids = (mids: readonly MessageId[]): Either<DomainError, MessageId[]> => {
  const unique = dedupe(mids);
  if (unique.length === 0) return E.left(invalid('MidsAreEmpty', 'mids must name at least one message'));
  return unique.length <= MAX_MIDS
    ? E.right(unique)
    : E.left(invalid('TooManyMids', `mids may name at most ${MAX_MIDS} messages`));
};

type Decision = Either<DomainError, readonly InboxEvent[]>;

export const decideInbox = (command: InboxCommand, state: InboxState): Decision => {
  switch (command.type) {
    case 'Acknowledge':
      return E.map((mids: MessageId[]): readonly InboxEvent[] =>
        state.lastAck?.status === command.status &&
        state.lastAck.channel === command.channel &&
        sameList(state.lastAck.mids, mids)
          ? []
          : [
              {
                type: 'MessagesAcknowledged',
                data: {
                  uid: command.uid,
                  mids,
                  status: command.status,
                  ...(command.channel !== undefined ? { channel: command.channel } : {}),
                },
              },
            ],
      )(checkMids(command.mids));
    case 'MarkRead':
      return E.right(
        state.lastRead.get(command.tid ?? '') === command.mid
          ? []
          : [
              {
                type: 'LastReadMarked',
                data: {
                  uid: command.uid,
                  mid: command.mid,
                  ...(command.tid !== undefined ? { tid: command.tid } : {}),
                },
              },
            ],
      );
    case 'DeleteFromInbox':
      return E.map((mids: MessageId[]): readonly InboxEvent[] => {
        const fresh = mids.filter((m) => !state.recentlyDeleted.includes(m));
        return fresh.length === 0 ? [] : [{ type: 'MessageDeletedFromInbox', data: { uid: command.uid, mids: fresh } }];
      })(checkMids(command.mids));
    default: {
      const unhandled: never = command;
      return unhandled;
    }
  }
};

export const inboxDecider: Decider<InboxCommand, InboxEvent, InboxState> = {
  initialState: initialInboxState,
  evolve: evolveInbox,
  decide: decideInbox,
};
