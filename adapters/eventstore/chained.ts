import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RecordedEvent,
} from '../../ports/eventstore.js';
import { GENESIS, UNCHAINED } from '../../schema/audit.js';
import { linkHash, linkTexts, unlinked } from './chain.js';
import { keepStoredTexts } from './stored-texts.js';
import { createCheckpointer, type CheckpointOptions } from './checkpoint.js';

// The tamper-evident log (docs/audit.md), above every engine: each appended event's metadata
// gets `chain: { prev, hash }`, linking it to the previous event of its stream, before the
// engine stores it. One decorator, so SQLite, JetStream and EventStoreDB chain alike.
//
// The link needs the hash of the stream's last event. Appends with an expected revision n
// (every command: the handler has just read the stream) find event n's hash in a cache fed
// by reads and appends; a stored event never changes, so a cached (stream, revision, hash)
// is never wrong, only possibly not the newest, and then the engine refuses the expected
// revision as it would have anyway. `any` and `stream_exists` appends are turned into
// appends at the revision read here, retried on a conflict, so a link never names a
// predecessor the engine did not put before it.

interface Tip {
  readonly revision: number;
  readonly link: string;
}
const NO_STREAM: Tip = { revision: -1, link: GENESIS };
const ANY_RETRIES = 100;
const linkOf = (e: RecordedEvent): string => e.metadata.chain?.hash ?? UNCHAINED;

export interface ChainedOptions {
  /** Checkpoints over the global order (checkpoint.ts); omitted: none are written. */
  readonly checkpoints?: CheckpointOptions;
  readonly cacheSize?: number;
}

export interface ChainedEventStore extends EventStore {
  /** Writes a checkpoint over everything up to the head now (tests, `msgxc audit checkpoint`). */
  checkpoint(): Promise<void>;
}

export const chained = (store: EventStore, options: ChainedOptions = {}): ChainedEventStore => {
  const capacity = options.cacheSize ?? 10_000;
  const tips = new Map<string, Tip>();
  const remember = (stream: string, tip: Tip): void => {
    const known = tips.get(stream);
    if (known !== undefined && known.revision > tip.revision) return;
    tips.delete(stream);
    tips.set(stream, tip);
    if (tips.size > capacity) {
      const oldest = tips.keys().next();
      if (oldest.done !== true) tips.delete(oldest.value);
    }
  };
  const rememberLast = (events: readonly RecordedEvent[]): void => {
    const last = events[events.length - 1];
    if (last !== undefined) remember(last.stream, { revision: last.revision, link: linkOf(last) });
  };

  // The stream's last event, reading on from the newest revision this process knows.
  const tipOf = async (stream: string): Promise<Tip> => {
    let tip = tips.get(stream) ?? NO_STREAM;
    for (;;) {
      const page = await store.read(stream, { fromRevision: tip.revision + 1, limit: 1000 });
      const last = page[page.length - 1];
      if (last === undefined) break;
      tip = { revision: last.revision, link: linkOf(last) };
      if (page.length < 1000) break;
    }
    if (tip.revision >= 0) remember(stream, tip);
    return tip;
  };
  const tipAt = async (stream: string, revision: number): Promise<Tip | undefined> => {
    const known = tips.get(stream);
    if (known?.revision === revision) return known;
    const [e] = await store.read(stream, { fromRevision: revision, limit: 1 });
    return e === undefined ? undefined : { revision, link: linkOf(e) };
  };

  const link = (stream: string, events: readonly EventToAppend[], tip: Tip): EventToAppend[] => {
    let prev = tip.link;
    return events.map((e, i) => {
      const metadata = unlinked(e.metadata);
      const hashable = { stream, revision: tip.revision + 1 + i, type: e.type, data: e.data, metadata };
      // The texts hashed are the texts stored: the engine below takes them (stored-texts.ts).
      const texts = linkTexts(prev, hashable);
      const hash = texts?.hash ?? linkHash(prev, hashable);
      const linked = { type: e.type, data: e.data, metadata: { ...metadata, chain: { prev, hash } } };
      if (texts !== undefined) keepStoredTexts(linked, texts);
      prev = hash;
      return linked;
    });
  };

  const appendAt = async (stream: string, events: readonly EventToAppend[], tip: Tip): Promise<AppendResult> => {
    const linked = link(stream, events, tip);
    const result = await store.append(stream, linked, tip.revision === -1 ? 'no_stream' : tip.revision);
    const last = linked[linked.length - 1];
    if (result.kind === 'appended' && last?.metadata.chain !== undefined)
      remember(stream, { revision: result.nextRevision, link: last.metadata.chain.hash });
    return result;
  };

  const append = async (
    stream: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> => {
    if (events.length === 0) return store.append(stream, events, expected);
    if (expected === 'no_stream') return appendAt(stream, events, NO_STREAM);
    if (typeof expected === 'number') {
      const tip = expected < 0 ? undefined : await tipAt(stream, expected);
      if (tip === undefined)
        return { kind: 'wrong_expected_revision', stream, expected, actual: (await tipOf(stream)).revision };
      return appendAt(stream, events, tip);
    }
    for (let attempt = 0; ; attempt++) {
      const tip = await tipOf(stream);
      if (expected === 'stream_exists' && tip.revision === -1)
        return { kind: 'wrong_expected_revision', stream, expected, actual: -1 };
      const result = await appendAt(stream, events, tip);
      if (result.kind === 'appended' || attempt >= ANY_RETRIES) return result;
    }
  };

  const checkpointer = createCheckpointer(store, append, options.checkpoints);
  return {
    append: async (stream, events, expected) => {
      const result = await append(stream, events, expected);
      if (result.kind === 'appended') checkpointer.appended(events.length);
      return result;
    },
    read: async (stream, opts) => {
      const events = await store.read(stream, opts);
      rememberLast(events);
      return events;
    },
    readAll: (opts) => store.readAll(opts),
    subscribeAll: (after, handler, onError) => store.subscribeAll(after, handler, onError),
    head: () => store.head(),
    checkpoint: () => checkpointer.now(),
    close: async () => {
      await checkpointer.close();
      await store.close();
    },
  };
};
