import type { EventToAppend } from '../../ports/eventstore.js';

// The JSON texts of an event the chain has just linked (chain.ts `linkTexts`), for the engine
// below it to store instead of stringifying the event again. Keyed by the very object the
// chain hands down: a decorator in between that copies the event makes the engine stringify it
// as before, never store a stale text. Held weakly: an event dropped is collected with its texts.
export interface StoredTexts {
  readonly data: string;
  readonly metadata: string;
}

const texts = new WeakMap<EventToAppend, StoredTexts>();

export const keepStoredTexts = (event: EventToAppend, stored: StoredTexts): void => {
  texts.set(event, stored);
};

export const storedTextsOf = (event: EventToAppend): StoredTexts | undefined => texts.get(event);
