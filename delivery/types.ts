import type { Channel, RecipientOf } from '../ports/channel.js';
import type { DispatchChannel } from '../schema/triage-events.js';

/** The senders dispatch may use, by channel. A channel left out is never planned. */
export type ChannelMap = { readonly [K in DispatchChannel]?: Channel<RecipientOf<K>> };

/** The subset of a pino logger the reactors use. */
export interface ReactorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: ReactorLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
