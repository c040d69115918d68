import type { EventStore, EventToAppend, RecordedEvent } from '../../ports/eventstore.js';
import type { DataKey, KeyStore } from '../../ports/keystore.js';
import { REDACTED, isSealed, mayCarryPersonal, ownerOf, personalFields, sealContext } from '../../schema/personal.js';
import { isUnreadableEvent } from '../../schema/unreadable-event.js';
import { openValue, sealValue } from './seal-cipher.js';
import { openedEvents } from './sealed-cache.js';
import type { SealedShare } from './sealed-share.js';

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

const bounded = <V>(map: Map<string, V>, key: string, value: V): V => {
  map.delete(key);
  map.set(key, value);
  if (map.size > CACHE) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  return value;
};

/**
 * `share`: the fields this process seals, shared with its other threads (sealed-share.ts): the
 * writer's side where it seals, a reader's where it only opens.
 */
export const sealed = (store: EventStore, keys: KeyStore, share?: SealedShare): SealedEventStore => {
  const current = new Map<string, DataKey>();
  // `owner kid` -> the key, or null once found destroyed (a kid is never reused).
  const opened = new Map<string, Uint8Array | null>();
  // Recent events as opened or as written here (sealed-cache.ts), each opened once per process.
  const recent = openedEvents();
  // Bumped by every eviction: a key that awaited the key store across one is not kept, as it may
  // be one destroyed meanwhile; nor is what an append wrote across one.
  let evictions = 0;

  // Forgotten, not marked destroyed: the key store answers again. A reader meets UserErased again
  // in a replay (a rebuild, a lagging follower on the shared cache) after the user's new key was
  // cached; marking that key destroyed would redact everything written after the erasure.
  const evict = (owner: string): void => {
    evictions += 1;
    current.delete(owner);
    for (const k of [...opened.keys()]) if (k.startsWith(`${owner} `)) opened.delete(k);
    recent.drop(owner);
    share?.drop(owner);
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
    const before = evictions;
    const key = await keyFor(owner);
    const data = { ...(e.data as Record<string, unknown>) };
    for (const f of fields) {
      const context = sealContext(owner, e.type, f.field);
      const value = data[f.field];
      const field = sealValue(key.key, key.kid, context, value);
      // Not shared when an erasure ran while the key was asked for: the key may be a destroyed one.
      if (evictions === before) share?.put(owner, context, field, value);
      data[f.field] = field;
    }
    return { ...e, data };
  };

  const openFields = async (
    e: RecordedEvent,
    owner: string,
    fields: ReturnType<typeof personalFields>,
  ): Promise<RecordedEvent> => {
    const source = e.data as Record<string, unknown>;
    const data = { ...source };
    const redacted: string[] = [];
    for (const f of fields) {
      const value = source[f.field];
      if (!isSealed(value)) continue;
      const context = sealContext(owner, e.type, f.field);
      // Sealed by this process's writer moments ago: its plain value, without the key's look-up.
      const shared = share?.get(owner, context, value);
      const key = shared === undefined ? await keyOf(owner, value.kid) : null;
      const plain = shared ?? (key === null ? undefined : openValue(key, context, value));
      if (plain === undefined) redacted.push(f.field);
      data[f.field] = plain === undefined ? f.redacted : plain.value;
    }
    if (redacted.length > 0) data[REDACTED] = redacted;
    return { ...e, data };
  };

  const readableData = (e: RecordedEvent): { uid?: unknown } | null | undefined => {
    try {
      return e.data as { uid?: unknown } | null;
    } catch (err) {
      if (isUnreadableEvent(err)) return undefined;
      throw err;
    }
  };
  const open = (e: RecordedEvent): Promise<RecordedEvent> => {
    if (e.type === 'UserErased') {
      const uid = readableData(e)?.uid;
      if (typeof uid === 'string') evict(uid);
      return Promise.resolve(e);
    }
    const owner = ownerOf(e.type, e.data);
    if (owner === undefined) return Promise.resolve(e);
    const fields = personalFields(e.type, e.data);
    const source = e.data as Record<string, unknown>;
    if (!fields.some((f) => isSealed(source[f.field]))) return Promise.resolve(e);
    return recent.opened(e, owner, () => openFields(e, owner, fields));
  };
  // Most events carry nothing sealed: a batch of those is passed on as it is, without a wait per event.
  // The type first: `e.data` is parsed when first read, and most events' types carry nothing personal.
  // An event whose stored bytes cannot be read is passed on as it is, for its reader to name
  // (a follower quarantines it): failing the page stalled every follower before it for good.
  const touches = (e: RecordedEvent): boolean => {
    try {
      return (
        e.type === 'UserErased' ||
        (mayCarryPersonal(e.type) && ownerOf(e.type, e.data) !== undefined && personalFields(e.type, e.data).length > 0)
      );
    } catch (err) {
      if (isUnreadableEvent(err)) return false;
      throw err;
    }
  };
  const openAll = async (events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> => {
    if (!events.some(touches)) return events;
    // An erasure read anywhere in the batch drops the keys first: they were destroyed before it was appended.
    for (const e of events) if (e.type === 'UserErased') await open(e);
    const out: RecordedEvent[] = [];
    for (const e of events) out.push(touches(e) ? await open(e) : e);
    return out;
  };

  // The subscriptions of a store that shares its reads (the SQLite log's: every follower at the
  // head is handed the same page, the same array) open each page once between them: on the main
  // thread four followers (live, triage, dispatch, outbox erasure) each walked every event of
  // every page for its personal fields (issue 15). Kept with the page for as long as the page
  // lives, and only while no erasure ran since it was opened: after one, the page is opened
  // again, so the erased person's fields read as redacted, as they would have.
  const pages = new WeakMap<
    readonly RecordedEvent[],
    { readonly evictions: number; readonly opened: Promise<readonly RecordedEvent[]> }
  >();
  const openPage = (events: readonly RecordedEvent[]): Promise<readonly RecordedEvent[]> => {
    const known = pages.get(events);
    if (known !== undefined && known.evictions === evictions) return known.opened;
    const opened = openAll(events);
    pages.set(events, { evictions, opened });
    opened.catch(() => {
      pages.delete(events);
    });
    return opened;
  };

  return {
    append: async (stream, events, expected) => {
      const before = evictions;
      const out: EventToAppend[] = [];
      for (const e of events) out.push(await seal(e));
      const result = await store.append(stream, out, expected);
      // One event's position is the result's (of several, engines need not number them in a row);
      // not kept when an erasure ran meanwhile.
      const [e] = events;
      if (
        result.kind === 'appended' &&
        events.length === 1 &&
        e !== undefined &&
        out[0] !== e &&
        evictions === before
      ) {
        const owner = ownerOf(e.type, e.data);
        // The fields seal() sealed: every personal field the data holds.
        const plain = e.data as Record<string, unknown>;
        const fields = personalFields(e.type, e.data).map((f) => [f.field, plain[f.field]] as const);
        if (owner !== undefined) recent.wrote(result.position, stream, result.nextRevision, owner, fields);
      }
      return result;
    },
    read: async (stream, options) => openAll(await store.read(stream, options)),
    readAll: async (options) => openAll(await store.readAll(options)),
    subscribeAll: (after, handler, onError) =>
      store.subscribeAll(after, async (events) => handler(await openPage(events)), onError),
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
