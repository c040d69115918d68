import * as t from 'io-ts';

// Ids cross every boundary (JWT `sub`, URL paths, stream names), so they are branded and
// restricted to printable characters without separators that would break a stream name
// or a log line. 128 characters is generous for UUIDs, ULIDs and email-like user ids.
const ID_PATTERN = /^[A-Za-z0-9._:@+=-]{1,128}$/;

interface UserIdBrand {
  readonly UserId: unique symbol;
}
interface ThreadIdBrand {
  readonly ThreadId: unique symbol;
}
interface MessageIdBrand {
  readonly MessageId: unique symbol;
}
interface DeviceIdBrand {
  readonly DeviceId: unique symbol;
}

export const UserId = t.brand(t.string, (s): s is t.Branded<string, UserIdBrand> => ID_PATTERN.test(s), 'UserId');
export type UserId = t.TypeOf<typeof UserId>;

export const ThreadId = t.brand(t.string, (s): s is t.Branded<string, ThreadIdBrand> => ID_PATTERN.test(s), 'ThreadId');
export type ThreadId = t.TypeOf<typeof ThreadId>;

export const MessageId = t.brand(
  t.string,
  (s): s is t.Branded<string, MessageIdBrand> => ID_PATTERN.test(s),
  'MessageId',
);
export type MessageId = t.TypeOf<typeof MessageId>;

export const DeviceId = t.brand(t.string, (s): s is t.Branded<string, DeviceIdBrand> => ID_PATTERN.test(s), 'DeviceId');
export type DeviceId = t.TypeOf<typeof DeviceId>;

export const isIdLike = (s: string): boolean => ID_PATTERN.test(s);

// Trusted construction for ids the broker generated itself (never for input).
export const asUserId = (s: string): UserId => s as UserId;
export const asThreadId = (s: string): ThreadId => s as ThreadId;
export const asMessageId = (s: string): MessageId => s as MessageId;
export const asDeviceId = (s: string): DeviceId => s as DeviceId;
