import type { EventStore, EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import type { DataKey, KeyStore } from '../../ports/keystore.js';
import { REDACTED, isSealed, ownerOf, personalFields, sealContext } from '../../schema/personal.js';
import { openValue, sealValue } from './seal-cipher.js';

// Personal data sealed in the log (docs/gdpr.md): a decorator above the tamper-evident chain
// (adapters/eventstore/chained.ts), so every writer (commands, delivery, check-in) seals
// through it and the chain hashes the sealed bytes the engine stores; every reader through it
// (the command side's folds, the followers, explain) gets the fields opened. A field whose key
// was destroyed reads as its redaction value, and the event names it in `data.redacted`: an
// erased person's events still decode and fold, to nothing readable. Plain fields (logs from
// before sealing) pass as they are.

export interface SealedEventStore extends EventStore {
  /** Destroys the owner's keys (the key store's and this process's copies); how many there were. */
  forget(owner: string): Promise<number>;
}

const CACHE = 10_000;
// Opened events kept for the other readers of this process: every follower on the main thread
// reads each new event, and opening it once instead of once each was a seventh of the main
// thread's time under sends (issue 15). Recent events only; an erasure drops its owner's.
const OPENED_EVENTS = 2048;

const bounded = <V>(map: Map<string, V>, key: string, value: V): V => {
  map.delete(key);
  map.set(key, value);
  if (map.size > CACHE) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  return value;
};

export const sealed = (store: EventStore, keys: KeyStore): SealedEventStore => {
  const current = new Map<string, DataKey>();
  // `owner kid` -> the key, or null once found destroyed (a kid is never reused).
  const opened = new Map<string, Uint8Array | null>();
  // Log position -> the event as opened, with its owner (to drop on erasure).
  const openedEvents = new Map<number, { readonly owner: string; readonly event: RecordedEvent }>();
  // Bumped by every eviction: a key or an opening that awaited the key store across one is not
  // kept, as it may be (or be opened with) a key destroyed meanwhile.
  let evictions = 0;

  // Forgotten, not marked destroyed: the key store answers again. A reader meets UserErased again
  // in a replay (a rebuild, a lagging follower on the shared cache) after the user's new key was
  // cached; marking that key destroyed would redact everything written after the erasure.
  const evict = (owner: string): void => {
    evictions += 1;
    current.delete(owner);
    for (const k of [...opened.keys()]) if (k.startsWith(`${owner} `)) opened.delete(k);
    for (const [position, o] of openedEvents) if (o.owner === owner) openedEvents.delete(position);
  };
  const keyFor = async (owner: string): Promise<DataKey> => {
    const known = current.get(owner);
    if (known !== undefined) return known;
    const before = evictions;
    const key = await keys.keyFor(owner);
    // A key asked for across an erasure may be one it destroyed: used for this event, not kept.
    if (evictions !== before) return key;
    // What this node seals it reads back at once (its followers): no look-up in the key store for it.
    bounded(opened, `${owner} ${key.kid}`, key.key);
    return bounded(current, owner, key);
  };
  const keyOf = async (owner: string, kid: string): Promise<Uint8Array | null> => {
    const id = `${owner} ${kid}`;
    const known = opened.get(id);
    if (known !== undefined) return known;
    const before = evictions;
    const key = (await keys.find(owner, kid)) ?? null;
    return evictions === before ? bounded(opened, id, key) : key;
  };

  const seal = async (e: EventToAppend): Promise<EventToAppend> => {
    const owner = ownerOf(e.type, e.data);
    const fields = owner === undefined ? [] : personalFields(e.type, e.data);
    if (owner === undefined || fields.length === 0) return e;
    const key = await keyFor(owner);
    const data = { ...(e.data as Record<string, unknown>) };
    for (const f of fields)
      data[f.field] = sealValue(key.key, key.kid, sealContext(owner, e.type, f.field), data[f.field]);
    return { ...e, data };
  };

  const open = async (e: RecordedEvent): Promise<RecordedEvent> => {
    if (e.type === 'UserErased') {
      const uid = (e.data as { uid?: unknown } | null)?.uid;
      if (typeof uid === 'string') evict(uid);
      return e;
    }
    const owner = ownerOf(e.type, e.data);
    if (owner === undefined) return e;
    const fields = personalFields(e.type, e.data);
    const source = e.data as Record<string, unknown>;
    if (!fields.some((f) => isSealed(source[f.field]))) return e;
    // (stream, revision) checked too: an engine's positions need not be those of readAll in a stream read.
    const known = openedEvents.get(e.position);
    if (known !== undefined && known.event.stream === e.stream && known.event.revision === e.revision)
      return known.event;
    const before = evictions;
    const data = { ...source };
    const redacted: string[] = [];
    for (const f of fields) {
      const value = source[f.field];
      if (!isSealed(value)) continue;
      const key = await keyOf(owner, value.kid);
      const plain = key === null ? undefined : openValue(key, sealContext(owner, e.type, f.field), value);
      if (plain === undefined) redacted.push(f.field);
      data[f.field] = plain === undefined ? f.redacted : plain.value;
    }
    if (redacted.length > 0) data[REDACTED] = redacted;
    const event = { ...e, data };
    if (evictions === before) {
      openedEvents.set(e.position, { owner, event });
      if (openedEvents.size > OPENED_EVENTS) {
        const oldest = openedEvents.keys().next();
        if (oldest.done !== true) openedEvents.delete(oldest.value);
      }
    }
    return event;
  };
  // Most events carry nothing sealed: a batch of those is passed on as it is, without a wait per event.
  const touches = (e: RecordedEvent): boolean =>
    e.type === 'UserErased' || (ownerOf(e.type, e.data) !== undefined && personalFields(e.type, e.data).length > 0);
  const openAll = async (events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> => {
    if (!events.some(touches)) return events;
    // An erasure read anywhere in the batch drops the keys first: they were destroyed before it was appended.
    for (const e of events) if (e.type === 'UserErased') await open(e);
    const out: RecordedEvent[] = [];
    for (const e of events) out.push(touches(e) ? await open(e) : e);
    return out;
  };

  return {
    append: async (stream, events, expected) => {
      const out: EventToAppend[] = [];
      for (const e of events) out.push(await seal(e));
      return store.append(stream, out, expected);
    },
    read: async (stream, options) => openAll(await store.read(stream, options)),
    readAll: async (options) => openAll(await store.readAll(options)),
    subscribeAll: (after, handler, onError) =>
      store.subscribeAll(after, async (events) => handler(await openAll(events)), onError),
    head: () => store.head(),
    close: async () => {
      await store.close();
      await keys.close();
    },
    forget: async (owner) => {
      const n = await keys.destroy(owner);
      evict(owner);
      return n;
    },
  };
};
