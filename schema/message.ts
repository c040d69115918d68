import * as t from 'io-ts';
import { JsonObjectC } from './json.js';
import { ThreadId, UserId } from './ids.js';

// Urgency follows RFC 8030's Urgency header, numbered as in msgxc's table:
// 1 very-low, 2 low, 3 normal, 4 high.
export const Urgency = t.union([t.literal(1), t.literal(2), t.literal(3), t.literal(4)], 'Urgency');
export type Urgency = t.TypeOf<typeof Urgency>;
export const DEFAULT_URGENCY: Urgency = 3;

// Who a message is addressed to. Broadcasts and threads are stored as one event naming the
// audience, never as one row per recipient: the inbox is resolved when it is read.
export const Audience = t.union([
  t.type({ kind: t.literal('thread'), tid: ThreadId }),
  t.type({ kind: t.literal('user'), uid: UserId }),
  t.type({ kind: t.literal('users'), uids: t.array(UserId) }),
  t.type({ kind: t.literal('everyone') }),
], 'Audience');
export type Audience = t.TypeOf<typeof Audience>;

// `opts` is free-form (msgxc passed it through to push payloads); the keys the broker itself
// interprets are validated where they are read (see schema/http.ts).
export const MessageOpts = JsonObjectC;
export type MessageOpts = t.TypeOf<typeof MessageOpts>;

export const ISODate = t.refinement(t.string, (s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}T/.test(s), 'ISODate');
