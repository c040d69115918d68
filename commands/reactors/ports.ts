import type { Channel, RecipientOf } from '../../adapters/channels/port.js';
import type { DispatchChannel } from '../../schema/triage-events.js';

/**
 * Who has a live realtime session right now. The realtime layer implements it (api/ws
 * presence has this shape); unit and integration tests use a fake.
 */
export interface Presence {
  isOnline(uid: string): boolean;
  sessions(uid: string): number;
}

/** The senders dispatch may use, by channel. A channel left out is never planned. */
export type ChannelMap = { readonly [K in DispatchChannel]?: Channel<RecipientOf<K>> };

/** The subset of a pino logger the reactors use. */
export interface ReactorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: ReactorLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
