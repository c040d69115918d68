import * as t from 'io-ts';
import { Mids, ReceiptStatus } from './events.js';
import { MessageId, ThreadId } from './ids.js';
import { JsonObjectC } from './json.js';
import { Urgency } from './message.js';

// Websocket frames, both directions, as JSON text. Every client frame is decoded with
// `ClientFrame`; a frame that does not decode gets an `error` frame and the session stays
// open. Server frames are built from the same types so the two sides cannot drift.
// Any client frame may carry `id` (a string or number of the client's choosing): the answer
// to it (`ok`, `error`, `history`, `unseen`, `pong`, `subscribed`, `unsubscribed`) echoes it.

/** The protocol these frames make up. web/client/client.ts (which imports no runtime code) keeps its own copy; a unit test holds the two equal. */
export const PROTOCOL_VERSION = 1;

export const FrameId = t.union(
  [
    t.refinement(t.string, (s) => s.length <= 64, 'string of at most 64 characters'),
    t.refinement(t.number, (n) => Number.isSafeInteger(n), 'integer'),
  ],
  'FrameId',
);
export type FrameId = t.TypeOf<typeof FrameId>;

const Limit = t.refinement(t.number, (n) => Number.isInteger(n) && n >= 1 && n <= 200, 'integer 1..200');
const Cursor = t.refinement(t.string, (s) => s.length >= 1 && s.length <= 256, 'cursor');

const frame = <N extends string, R extends t.Props, O extends t.Props>(type: N, required: R, optional: O) =>
  t.intersection([t.type({ type: t.literal(type), ...required }), t.partial({ id: FrameId, ...optional })], type);

export const AckFrame = frame('ack', { mids: Mids }, { status: ReceiptStatus });
export const SeenFrame = frame('seen', { mids: Mids }, {});
export const ReadFrame = frame('read', { mid: MessageId }, { tid: ThreadId });
export const DeleteFrame = frame('delete', { mids: Mids }, {});
export const HistoryFrame = frame('history', {}, { tid: ThreadId, before: Cursor, limit: Limit });
export const UnseenFrame = frame('unseen', {}, { before: Cursor, limit: Limit });
export const SubscribeFrame = frame('subscribe', { tid: ThreadId }, {});
export const UnsubscribeFrame = frame('unsubscribe', { tid: ThreadId }, {});
export const PingFrame = frame('ping', {}, {});
/** A fresh token for the same user, sent before the current one expires, extends the session. */
export const AuthFrame = frame(
  'auth',
  { token: t.refinement(t.string, (s) => s.length > 0 && s.length <= 8192, 'token') },
  {},
);

export const ClientFrame = t.union(
  [
    AckFrame,
    SeenFrame,
    ReadFrame,
    DeleteFrame,
    HistoryFrame,
    UnseenFrame,
    SubscribeFrame,
    UnsubscribeFrame,
    PingFrame,
    AuthFrame,
  ],
  'ClientFrame',
);
export type ClientFrame = t.TypeOf<typeof ClientFrame>;
export type ClientFrameType = ClientFrame['type'];
export const CLIENT_FRAME_TYPES: readonly string[] = ClientFrame.types.map((c) => c.name);

// ---- server -> client
export const MessageFrame = t.intersection(
  [
    t.type({
      type: t.literal('message'),
      mid: MessageId,
      from: t.string,
      msg: t.string,
      opts: JsonObjectC,
      urgency: Urgency,
      at: t.string,
    }),
    t.partial({ tid: ThreadId, scheduled: t.string }),
  ],
  'MessageFrame',
);
export type MessageFrame = t.TypeOf<typeof MessageFrame>;
/** A message as listed in `unseen` and `history` (the inbox's view adds seen/read flags). */
export type ListedMessage = Omit<MessageFrame, 'type'> & { readonly seen?: boolean; readonly read?: boolean };

/**
 * `since` is a resume point for a client that has received no message yet: a message id for
 * a moment just before this session started, so `?since=` with it on a reconnect replays
 * everything published after this session began.
 */
export interface HelloFrame {
  type: 'hello';
  sid: string;
  uid: string;
  node: string;
  exp?: number;
  resume: boolean;
  since: string;
}
export interface UnseenReply {
  type: 'unseen';
  id?: FrameId;
  messages: ListedMessage[];
  next: string | null;
}
export interface HistoryReply {
  type: 'history';
  id?: FrameId;
  tid?: string;
  messages: ListedMessage[];
  next: string | null;
}
/** End of a `?since=` catch-up: `count` messages were replayed; `truncated` when more were missed than one resume replays. */
export interface ResumedFrame {
  type: 'resumed';
  since: string;
  count: number;
  truncated: boolean;
}
export interface SeenStateFrame {
  type: 'seen';
  mids: string[];
  read?: true;
}
export interface ReadStateFrame {
  type: 'read';
  mid: string;
  tid?: string;
}
export interface DeletedFrame {
  type: 'deleted';
  mids: string[];
}
export interface MembershipFrame {
  type: 'subscribed' | 'unsubscribed';
  tid: string;
  id?: FrameId;
}
export interface OkFrame {
  type: 'ok';
  id?: FrameId;
  position?: number;
}
export interface PongFrame {
  type: 'pong';
  id?: FrameId;
}
export interface ErrorFrame {
  type: 'error';
  code: string;
  msg: string;
  id?: FrameId;
  /** Seconds to wait before sending again (RateLimited, Overloaded): the frame was not run. */
  retryAfter?: number;
}

export type ServerFrame =
  | HelloFrame
  | MessageFrame
  | UnseenReply
  | HistoryReply
  | ResumedFrame
  | SeenStateFrame
  | ReadStateFrame
  | DeletedFrame
  | MembershipFrame
  | OkFrame
  | PongFrame
  | ErrorFrame;

// ---- bus envelope: what nodes tell each other. One line of header JSON, a newline, then the
// frame exactly as clients receive it, so a node forwards it to its sockets without
// re-serialising it (the header is tiny; the frame may be large).
export const BusHeader = t.union(
  [
    // A frame for the subject's sockets; `mid` lets a session that is catching up dedupe it;
    // `origin` is the session that caused it, which does not receive its own echo.
    // `v`: a message with A/B variants; each session gets its user's variant (delivery/personal.ts).
    t.intersection([t.type({ k: t.literal('f') }), t.partial({ mid: t.string, origin: t.string, v: t.literal(1) })]),
    // Membership of the subject's user changed: their sockets join or leave a thread's topic
    // (all but `origin`, the session whose frame asked for it, which its own answer moves).
    t.intersection([
      t.type({ k: t.union([t.literal('join'), t.literal('leave')]), tid: ThreadId }),
      t.partial({ origin: t.string }),
    ]),
  ],
  'BusHeader',
);
export type BusHeader = t.TypeOf<typeof BusHeader>;

export const encodeEnvelope = (header: BusHeader, frame = ''): string => `${JSON.stringify(header)}\n${frame}`;

// A websocket session's commands carry a correlation id that names the session, so the live
// side can leave out the session that caused a change (it does not get its own echo).
/** The correlation id of session `sid`'s `n`th command. */
export const sessionCorrelation = (sid: string, n: number): string => `ws:${sid}:${n}`;
/** The session a correlation id names, if a websocket session's command made it. */
export const originOf = (correlationId: string): string | undefined => /^ws:([^:]+):/.exec(correlationId)?.[1];

// ---- presence on the bus (subject msgxc.presence.<node>); see api/ws/presence.ts.
// Counts are absolute (sessions of a user on the sending node), so a repeated or reordered
// delta is harmless; `seq` lets a peer notice a lost one and ask for a snapshot.
const Counts = t.array(t.tuple([t.string, t.number]));
const Stamp = { node: t.string, epoch: t.string, seq: t.number };
export const PresenceMessage = t.union(
  [
    t.type({ t: t.literal('delta'), ...Stamp, users: Counts }),
    t.type({ t: t.literal('beat'), ...Stamp, users: t.number }),
    t.type({ t: t.literal('snapshot'), ...Stamp, users: Counts, part: t.number, parts: t.number }),
    t.type({ t: t.literal('sync'), node: t.string, target: t.string }),
    t.type({ t: t.literal('bye'), node: t.string }),
  ],
  'PresenceMessage',
);
export type PresenceMessage = t.TypeOf<typeof PresenceMessage>;
