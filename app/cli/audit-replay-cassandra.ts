import type { Client } from 'cassandra-driver';
import { createCassandraClient } from '../../adapters/read-store/cassandra.js';
import type { ReadStoreConfig } from '../../schema/config-engines.js';
import { openCassandraReadStore } from '../read-stores.js';
import type { OpenReplayModels } from './audit-replay.js';

// A replay into its own Cassandra keyspace: the production read models' engine, tables and
// queries, so an auditor reads the past with the same code the broker answers with now. The
// keyspace is a blue/green set like the broker's (projections/cassandra-generations.ts): the
// named one holds the generation pointer and a marker table, the rows live in `<name>_g<N>`,
// and a rerun with the same name rebuilds into the next generation and drops the previous.
// The marker is what makes a name safe to reuse: an existing keyspace without it was not made
// by a replay, and is refused rather than emptied.

type Cassandra = Extract<ReadStoreConfig, { kind: 'cassandra' }>;

export const MARKER = 'audit_replay';

/** A replay into a keyspace refused before anything was written (exit 2, the message says why). */
export class ReplayRefused extends Error {}

const madeByReplay = async (client: Client, keyspace: string): Promise<boolean> => {
  const ks = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [
    keyspace,
  ]);
  if (ks.rowLength === 0) return true;
  const marker = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, MARKER],
  );
  return marker.rowLength > 0;
};

export const cassandraReplay =
  (rs: Cassandra, keyspace: string, at: string): OpenReplayModels =>
  async (log) => {
    const client = createCassandraClient(rs);
    try {
      await client.connect();
      if (!(await madeByReplay(client, keyspace)))
        throw new ReplayRefused(`--keyspace: ${keyspace} exists and was not made by a replay; it is left alone`);
      const read = await openCassandraReadStore({
        client,
        localDataCenter: rs.localDataCenter,
        keyspace,
        replication: { class: 'NetworkTopologyStrategy', [rs.localDataCenter]: rs.replicationFactor },
        store: log,
        // Nobody else reads a replay's keyspaces: the previous generation can go at once.
        graceMs: 0,
      });
      const marker = `${keyspace}.${MARKER}`;
      await client.execute(
        `CREATE TABLE IF NOT EXISTS ${marker} (name text PRIMARY KEY, at text, up_to bigint, replayed bigint, generation text)`,
        [],
        { prepare: false },
      );
      const generation = (): string => read.runner.live()?.id ?? keyspace;
      return {
        runner: read.runner,
        models: read.models,
        where: () => ({ keyspace, generation: generation() }),
        built: async (upTo, replayed) => {
          await client.execute(
            `INSERT INTO ${marker} (name, at, up_to, replayed, generation) VALUES ('replay', ?, ?, ?, ?)`,
            [at, upTo, replayed, generation()],
          );
        },
        close: async () => {
          await read.close();
          await client.shutdown();
        },
      };
    } catch (e) {
      await client.shutdown();
      throw e;
    }
  };
