import { afterAll } from 'vitest';
import { connectCql } from '../infra/cql.js';
import { requestJson } from '../infra/http.js';
import { isProductionStack, stackIdsStarted } from './stack.js';

// Every production-stack broker has a Cassandra keyspace (about 30 tables) and Elasticsearch
// indices of its own. Kept for the whole run, a full run's hundreds of them held the test
// Cassandra's heap until it died of it (a rehearsal's e2e-production tier) and slowed every
// later broker's DDL. So when a test file ends (this setup file's afterAll runs after the
// file's own, which stop its brokers), its brokers' keyspaces (with their rebuild generations
// and replays: same prefix) and indices are dropped. A failure to drop is reported, never a
// test failure: the data belongs to a finished file.
const dropKeyspaces = async (ids: readonly string[]): Promise<void> => {
  const port = Number(process.env['MSGXC_TEST_CASSANDRA_PORT'] ?? '');
  const cql = await connectCql(process.env['MSGXC_TEST_CASSANDRA_CONTACT_POINT'] ?? '127.0.0.1', port);
  try {
    const listed = await cql.query('SELECT keyspace_name FROM system_schema.keyspaces');
    if (listed.kind !== 'rows') throw new Error(`listing keyspaces: ${JSON.stringify(listed)}`);
    const names = listed.rows.map((r) => String(r['keyspace_name']));
    for (const name of names.filter((n) => ids.some((id) => n.startsWith(`e2e_${id}`)))) {
      const dropped = await cql.query(`DROP KEYSPACE IF EXISTS "${name}"`, 'ALL');
      if (dropped.kind === 'error') process.stderr.write(`[e2e] drop keyspace ${name}: ${dropped.message}\n`);
    }
  } finally {
    cql.close();
  }
};

const dropIndices = async (ids: readonly string[]): Promise<void> => {
  const base = process.env['MSGXC_TEST_ELASTIC_URL'] ?? '';
  for (const id of ids) {
    // Named one by one: Elasticsearch 8 refuses wildcard deletes (action.destructive_requires_name).
    const listed = await requestJson(`${base}/_cat/indices/e2e-${id}-*?h=index&format=json&expand_wildcards=all`);
    const names = Array.isArray(listed.body)
      ? listed.body.map((r) => String((r as { index?: unknown }).index)).filter((n) => n.startsWith(`e2e-${id}-`))
      : [];
    if (names.length === 0) continue;
    const dropped = await requestJson(`${base}/${names.join(',')}`, { method: 'DELETE', timeoutMs: 30_000 });
    if (dropped.status !== 200)
      process.stderr.write(
        `[e2e] delete indices ${names.join(',')}: ${dropped.status} ${JSON.stringify(dropped.body)}\n`,
      );
  }
};

afterAll(async () => {
  const ids = stackIdsStarted();
  if (!isProductionStack() || ids.length === 0) return;
  await Promise.all([dropKeyspaces(ids), dropIndices(ids)]).catch((e: unknown) => {
    process.stderr.write(`[e2e] dropping finished brokers' stores: ${String(e)}\n`);
  });
}, 120_000);
