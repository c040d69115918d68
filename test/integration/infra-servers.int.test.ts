// Real round trips against the servers that test/infra/global-setup.ts started. Each suite
// runs only when its address variable is set, e.g.
//   MSGXC_TEST_SERVERS=nats,natscluster,natscurrent,natscurrentcluster,cassandra,elastic npx vitest run \
//     --config test/infra/vitest.infra.config.ts --project integration test/integration/infra-servers.int.test.ts
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectCql } from '../infra/cql.js';
import { field, requestJson } from '../infra/http.js';
import { connectNats } from '../infra/nats-wire.js';

const unique = randomUUID().replaceAll('-', '').slice(0, 12);

/** Runs the test with the variable's value, or lists it as skipped, naming the variable. */
const withEnv = (name: string, title: string, body: (value: string) => Promise<void>): void => {
  const value = process.env[name];
  if (value === undefined || value === '') it.skip(`${title} (skipped: ${name} is not set)`, () => undefined);
  else it(title, () => body(value));
};

const jsonOf = (data: string): unknown => JSON.parse(data);

// Debian's nats-server 2.9 and the current release (test/infra/nats.ts), under their own variables.
for (const [prefix, release] of [
  ['MSGXC_TEST_NATS', "Debian's 2.9"],
  ['MSGXC_TEST_NATS_CURRENT', 'current release'],
] as const) {
  describe(`NATS with JetStream (${release})`, () => {
    withEnv(`${prefix}_URL`, 'delivers a published message to a subscriber', async (url) => {
      const [sub, pub] = [await connectNats(url), await connectNats(url)];
      try {
        expect(sub.info.jetstream).toBe(true);
        // The server is the build the run says it is (the variable names suites by version).
        expect(sub.info.version).toBe(process.env[`${prefix}_VERSION`] ?? sub.info.version);
        const inbox = sub.subscribe(`msgxc.infra.${unique}`);
        await sub.flush();
        pub.publish(`msgxc.infra.${unique}`, 'hello nats');
        const message = await inbox.next();
        expect(message).toEqual({ subject: `msgxc.infra.${unique}`, reply: undefined, data: 'hello nats' });
      } finally {
        sub.close();
        pub.close();
      }
    });

    withEnv(`${prefix}_URL`, 'stores a message in a JetStream stream and reads it back', async (url) => {
      const nats = await connectNats(url);
      const stream = `INFRA_${unique}`;
      try {
        const config = { name: stream, subjects: [`infra.${unique}.>`], storage: 'file', num_replicas: 1 };
        const created = jsonOf((await nats.request(`$JS.API.STREAM.CREATE.${stream}`, JSON.stringify(config))).data);
        expect(field(created, 'error')).toBeUndefined();
        const ack = jsonOf((await nats.request(`infra.${unique}.a`, 'stored')).data);
        expect(ack).toMatchObject({ stream, seq: 1 });
        const got = jsonOf((await nats.request(`$JS.API.STREAM.MSG.GET.${stream}`, JSON.stringify({ seq: 1 }))).data);
        expect(Buffer.from(String(field(got, 'message', 'data')), 'base64').toString()).toBe('stored');
        await nats.request(`$JS.API.STREAM.DELETE.${stream}`, '');
      } finally {
        nats.close();
      }
    });
  });

  describe(`NATS three-node JetStream cluster (${release})`, () => {
    withEnv(`${prefix}_CLUSTER_MONITOR_URLS`, 'reports a meta cluster of 3 peers under one leader', async (value) => {
      const nodes = await Promise.all(
        value.split(',').map(async (u) => ({
          name: field((await requestJson(`${u}/varz`)).body, 'server_name'),
          jsz: (await requestJson(`${u}/jsz`)).body,
        })),
      );
      expect(nodes.map((n) => field(n.jsz, 'meta_cluster', 'cluster_size'))).toEqual([3, 3, 3]);
      const leaders = new Set(nodes.map((n) => field(n.jsz, 'meta_cluster', 'leader')));
      expect(leaders.size).toBe(1);
      const leader = nodes.find((n) => leaders.has(n.name));
      const replicas = field(leader?.jsz, 'meta_cluster', 'replicas');
      expect(replicas).toMatchObject([{ current: true }, { current: true }]);
      const peers = [leader?.name, ...(replicas as unknown[]).map((r) => field(r, 'name'))];
      expect(new Set(peers)).toEqual(new Set(nodes.map((n) => n.name)));
    });

    withEnv(`${prefix}_CLUSTER_URLS`, 'replicates a stream over three nodes', async (value) => {
      const urls = value.split(',');
      expect(urls).toHaveLength(3);
      const [a, b] = [await connectNats(urls[0] ?? ''), await connectNats(urls[2] ?? '')];
      const stream = `INFRA_R3_${unique}`;
      try {
        const config = { name: stream, subjects: [`r3.${unique}.>`], storage: 'file', num_replicas: 3 };
        const created = jsonOf(
          (await a.request(`$JS.API.STREAM.CREATE.${stream}`, JSON.stringify(config), 10_000)).data,
        );
        expect(field(created, 'config', 'num_replicas')).toBe(3);
        const ack = jsonOf((await b.request(`r3.${unique}.x`, 'replicated', 10_000)).data);
        expect(ack).toMatchObject({ stream, seq: 1 });
        const info = jsonOf((await b.request(`$JS.API.STREAM.INFO.${stream}`, '', 10_000)).data);
        expect(field(info, 'cluster', 'replicas')).toHaveLength(2);
        await a.request(`$JS.API.STREAM.DELETE.${stream}`, '', 10_000);
      } finally {
        a.close();
        b.close();
      }
    });
  });
}

describe('Cassandra', () => {
  withEnv('MSGXC_TEST_CASSANDRA_PORT', 'creates a table, writes a row and reads it back over CQL', async (port) => {
    const cql = await connectCql(process.env.MSGXC_TEST_CASSANDRA_CONTACT_POINT ?? '127.0.0.1', Number(port));
    const ks = `infra_${unique}`;
    try {
      const replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}";
      expect((await cql.query(`CREATE KEYSPACE ${ks} WITH replication = ${replication}`)).kind).toBe('schema_change');
      expect((await cql.query(`CREATE TABLE ${ks}.notes (id text PRIMARY KEY, n int, at timestamp)`)).kind).toBe(
        'schema_change',
      );
      await cql.query(`INSERT INTO ${ks}.notes (id, n, at) VALUES ('a', 42, 1700000000000)`);
      const read = await cql.query(`SELECT id, n, at FROM ${ks}.notes WHERE id = 'a'`);
      expect(read).toMatchObject({ kind: 'rows', rows: [{ id: 'a', n: 42, at: 1_700_000_000_000n }] });
      const bad = await cql.query(`SELECT nope FROM ${ks}.notes`);
      expect(bad).toMatchObject({ kind: 'error', code: 0x2200 }); // Invalid query
      await cql.query(`DROP KEYSPACE ${ks}`);
    } finally {
      cql.close();
    }
  });
});

describe('Elasticsearch', () => {
  withEnv('MSGXC_TEST_ELASTIC_URL', 'indexes a document and finds it by a full-text search', async (url) => {
    const index = `msgxc-infra-${unique}`;
    const mappings = { properties: { text: { type: 'text' }, n: { type: 'integer' } } };
    const created = await requestJson(`${url}/${index}`, { method: 'PUT', body: { mappings } });
    expect(created.status).toBe(200);
    // The official v8 client refuses servers that do not send this header.
    expect(created.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const doc = { text: 'the quick brown fox', n: 7 };
    expect((await requestJson(`${url}/${index}/_doc/1`, { method: 'PUT', body: doc })).status).toBe(201);
    expect((await requestJson(`${url}/${index}/_refresh`, { method: 'POST' })).status).toBe(200);
    const query = { query: { match: { text: 'brown' } } };
    const found = await requestJson(`${url}/${index}/_search`, { method: 'POST', body: query });
    expect(field(found.body, 'hits', 'total', 'value')).toBe(1);
    expect(field(found.body, 'hits', 'hits')).toMatchObject([{ _id: '1', _source: doc }]);
    const missed = await requestJson(`${url}/${index}/_search`, {
      method: 'POST',
      body: { query: { match: { text: 'cat' } } },
    });
    expect(field(missed.body, 'hits', 'total', 'value')).toBe(0);
    expect((await requestJson(`${url}/${index}`, { method: 'DELETE' })).status).toBe(200);
  });
});
