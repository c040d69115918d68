import type { Client } from 'cassandra-driver';

/** Drops the keyspaces rebuilds made beside `keyspace` (`<keyspace>_g<N>`). */
export const dropGenerationKeyspaces = async (client: Client, keyspace: string): Promise<void> => {
  const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces');
  for (const r of rs.rows) {
    const ks = String(r.get('keyspace_name'));
    if (ks.startsWith(`${keyspace}_g`))
      await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`, [], { readTimeout: 60_000 });
  }
};
