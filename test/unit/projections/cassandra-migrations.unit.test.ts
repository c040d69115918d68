import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../../projections/cassandra-migrations.js';
import { parseCql, qualify } from '../../../projections/cassandra-cql.js';
import { cassandraReadModelTables } from '../../../projections/cassandra-tables.js';
import { periodsOf } from '../../../projections/inbox/cassandra-queries.js';
import { bucketOf } from '../../../projections/messages/cassandra-row.js';
import { USER_SHARDS, shardOf } from '../../../projections/users/cassandra.js';

describe('CQL migration text', () => {
  it('splits statements, dropping comments but not what sits inside strings', () => {
    const text = `-- a comment; with a semicolon
      CREATE TABLE IF NOT EXISTS a (k text PRIMARY KEY) WITH comment = 'it''s -- not; a comment'; // trailing
      /* block; comment */ CREATE TABLE IF NOT EXISTS b (k text PRIMARY KEY);
    `;
    expect(parseCql(text)).toEqual([
      "CREATE TABLE IF NOT EXISTS a (k text PRIMARY KEY) WITH comment = 'it''s -- not; a comment'",
      'CREATE TABLE IF NOT EXISTS b (k text PRIMARY KEY)',
    ]);
    expect(() => parseCql("CREATE TABLE x (a text) WITH comment = 'open")).toThrow(/unterminated string/);
  });

  it('binds unqualified table statements to a keyspace and refuses anything else', () => {
    expect(qualify('CREATE TABLE IF NOT EXISTS users (uid text PRIMARY KEY)', 'ks')).toBe(
      'CREATE TABLE IF NOT EXISTS ks.users (uid text PRIMARY KEY)',
    );
    expect(qualify('ALTER TABLE users ADD x int', 'ks')).toBe('ALTER TABLE ks.users ADD x int');
    expect(qualify('CREATE INDEX IF NOT EXISTS by_x ON users (x)', 'ks')).toBe(
      'CREATE INDEX IF NOT EXISTS by_x ON ks.users (x)',
    );
    expect(() => qualify('CREATE TABLE IF NOT EXISTS other.users (uid text PRIMARY KEY)', 'ks')).toThrow(
      /not supported/,
    );
    expect(() => qualify('CREATE TABLE users (uid text PRIMARY KEY)', 'ks')).toThrow(/not supported/);
    expect(() => qualify('DROP KEYSPACE ks', 'ks')).toThrow(/not supported/);
  });

  it('the shipped migrations are numbered, each statement qualifies, and they create every read-model table', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    const statements = migrations.flatMap((m) => m.statements).map((s) => qualify(s, 'ks'));
    const created = statements.flatMap((s) => /^CREATE TABLE IF NOT EXISTS ks\.(\w+)/.exec(s)?.[1] ?? []);
    expect(created).toEqual(expect.arrayContaining([...cassandraReadModelTables, 'projection_checkpoints']));
  });
});

describe('cassandra read-model helpers', () => {
  it('derives subscription periods from subscribe/unsubscribe rows as the SQLite projection does', () => {
    const rows = [
      { tid: 't1', position: 3, subscribed: true },
      { tid: 't1', position: 5, subscribed: true }, // already open: ignored
      { tid: 't1', position: 8, subscribed: false },
      { tid: 't1', position: 9, subscribed: false }, // already closed: ignored
      { tid: 't1', position: 12, subscribed: true },
      { tid: 't2', position: 4, subscribed: false },
      { tid: 't2', position: 6, subscribed: true },
      { tid: 't2', position: 7, subscribed: false },
    ];
    expect(periodsOf(rows)).toEqual([
      { tid: 't1', from: 3, to: 8 },
      { tid: 't2', from: 6, to: 7 },
      { tid: 't1', from: 12, to: Number.MAX_SAFE_INTEGER },
    ]);
  });

  it('buckets broadcasts by UTC month and spreads users over the shards', () => {
    expect(bucketOf(Date.parse('2025-01-31T23:59:59.999Z'))).toBe(202501);
    expect(bucketOf(Date.parse('2025-12-01T00:00:00.000Z'))).toBe(202512);
    const shards = new Set(Array.from({ length: 1000 }, (_, i) => shardOf(`user-${i}`)));
    expect(shards.size).toBe(USER_SHARDS);
    expect(shardOf('alice')).toBe(shardOf('alice'));
  });
});
