import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connect, DiscardPolicy, StorageType, type NatsConnection, type ObjectInfo, type ObjectStore } from 'nats';
import type { StateSnapshotInfo, StateSnapshots } from '../../ports/state-snapshot.js';

// Delivery's state snapshot in a JetStream object store (`<stream>_REACTORS`), on the NATS
// cluster that holds the log: every reactor process of a deployment on the JetStream log
// reaches it, with the log's replicas, and nothing else is needed. The object store cuts the
// file into chunks and checks its SHA-256 digest on the way back. One object name: a put
// replaces the object and purges the chunks of the one before (nats.js), so one snapshot is
// kept; the log position and time ride in the object's description. The file is stored
// gzipped (level 1): a SQLite state file shrinks about 7x for about 1 s of CPU per 128 MB,
// and the restore, which a new node waits for, reads that much less (BENCHMARKS.md "Reactor
// node cold start").
export interface JetStreamSnapshotOptions {
  /** Server URLs (a cluster's seeds); ignored when `connection` is given. */
  readonly servers?: readonly string[];
  readonly connection?: NatsConnection;
  /** Bucket name: letters, digits, _ and -. */
  readonly bucket: string;
  readonly replicas: number;
  /** The object's name (default `reactors.db`). */
  readonly name?: string;
}

// Under the servers' default max_payload (1 MiB) with room for headers.
const CHUNK = 512 * 1024;

const describe = (info: ObjectInfo): StateSnapshotInfo | undefined => {
  if (info.deleted) return undefined;
  try {
    const d = JSON.parse(info.description ?? '') as { position?: unknown; takenAt?: unknown; encoding?: unknown };
    if (typeof d.position !== 'number' || typeof d.takenAt !== 'string' || d.encoding !== 'gzip') return undefined;
    return { position: d.position, takenAt: d.takenAt, bytes: info.size };
  } catch {
    return undefined;
  }
};

// The object store's stream is created here, as nats.js would create it, because nats.js 2.29
// also sends its own `replicas` option inside the stream's configuration, which nats-server
// 2.15 refuses ("unknown field"); the store is then bound as it is.
const openStore = async (nc: NatsConnection, o: JetStreamSnapshotOptions): Promise<ObjectStore> => {
  const jsm = await nc.jetstreamManager({ timeout: 30_000 });
  const stream = `OBJ_${o.bucket}`;
  try {
    await jsm.streams.info(stream);
  } catch (e) {
    if (!/stream not found/i.test(String(e))) throw e;
    try {
      await jsm.streams.add({
        name: stream,
        subjects: [`$O.${o.bucket}.C.>`, `$O.${o.bucket}.M.>`],
        storage: StorageType.File,
        num_replicas: o.replicas,
        discard: DiscardPolicy.New,
        allow_direct: true,
        allow_rollup_hdrs: true,
      });
    } catch (e2) {
      // Two nodes creating it at once: the other one's is as good.
      if (!/already in use|subjects overlap/i.test(String(e2))) throw e2;
    }
  }
  return nc.jetstream({ timeout: 30_000 }).views.os(o.bucket);
};

export const openJetStreamSnapshots = async (o: JetStreamSnapshotOptions): Promise<StateSnapshots> => {
  const nc =
    o.connection ??
    (await connect({
      servers: [...(o.servers ?? [])],
      name: 'msgxc-reactor-snapshots',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5_000,
      noAsyncTraces: true,
    }));
  const owns = o.connection === undefined;
  let os: ObjectStore;
  try {
    os = await openStore(nc, o);
  } catch (e) {
    if (owns) await nc.close();
    throw e;
  }
  const name = o.name ?? 'reactors.db';

  const newest = async (): Promise<StateSnapshotInfo | undefined> => {
    const info = await os.info(name);
    return info === null ? undefined : describe(info);
  };

  return {
    newest,
    put: async (file, info) => {
      const gzip = createGzip({ level: 1 });
      // A read error destroys the gzip stream with it, which fails the put.
      pipeline(createReadStream(file), gzip).catch(() => undefined);
      const data = Readable.toWeb(gzip) as unknown as ReadableStream<Uint8Array>;
      const stored = await os.put(
        {
          name,
          description: JSON.stringify({ position: info.position, takenAt: info.takenAt, encoding: 'gzip' }),
          options: { max_chunk_size: CHUNK },
        },
        data,
        { timeout: 60_000 },
      );
      return { ...info, bytes: stored.size };
    },
    restore: async (file) => {
      const found = await os.get(name);
      if (found === null) return undefined;
      const info = describe(found.info);
      if (info === undefined) {
        await found.data.cancel();
        return undefined;
      }
      // Written beside the file and renamed when complete and checked: a process that dies
      // meanwhile leaves no half file where the state is expected.
      const partial = `${file}.restoring`;
      try {
        await pipeline(Readable.fromWeb(found.data), createGunzip(), createWriteStream(partial));
        // Resolves to null, or (nats.js 2.29) undefined, when the data was whole and its digest matched.
        const error: unknown = await found.error;
        if (error instanceof Error) throw error;
        await rename(partial, file);
      } catch (e) {
        await rm(partial, { force: true });
        throw e;
      }
      return info;
    },
    clear: async () => {
      const info = await os.info(name);
      if (info !== null && !info.deleted) await os.delete(name);
    },
    close: async () => {
      if (owns) await nc.close();
    },
  };
};
