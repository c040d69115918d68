import type { EventStore } from '../ports/eventstore.js';
import { streams } from '../schema/events.js';

// People's names for channels that show them (MQTT's `author.real_name` and a user topic's
// `metadata.name`, seed 002): from the user's profile attributes, `real_name` or else `name`,
// as set through the profile route. Read from the user's own stream (profile events only,
// so short) when a message goes out, rather than folded into delivery's directory: one read
// per author and recipient per MQTT send, and nothing to migrate in delivery's state.
const MAX_NAME = 200;

export const nameFromAttributes = (attributes: unknown): string | undefined => {
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  const a = attributes as Record<string, unknown>;
  for (const key of ['real_name', 'name']) {
    const v = a[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, MAX_NAME);
  }
  return undefined;
};

export type NameOf = (uid: string) => Promise<string | undefined>;

export const namesFrom =
  (store: EventStore): NameOf =>
  async (uid) => {
    const events = await store.read(streams.user(uid));
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (e?.type === 'UserAttributesChanged')
        return nameFromAttributes((e.data as { attributes?: unknown } | null)?.attributes);
    }
    return undefined;
  };
