import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../schema/config.js';

describe('configuration from the environment', () => {
  it('defaults to development mode on embedded engines, port 8080, loopback', () => {
    const c = configFromEnv({});
    expect(E.isRight(c) && c.right).toMatchObject({
      mode: 'development',
      port: 8080,
      host: '127.0.0.1',
      eventStore: 'embedded',
      bodyLimit: 65536,
    });
  });

  it('is production when a secret is set, with HS256 pinned', () => {
    const c = configFromEnv({ MSGXC_JWT_SECRET: 's'.repeat(32) });
    expect(E.isRight(c) && c.right).toMatchObject({ mode: 'production', jwtAlgorithms: ['HS256'] });
  });

  it('accepts each configured key family by default: a public key alone, or both with a secret', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----';
    const pub = configFromEnv({ MSGXC_JWT_PUBLIC_KEY: pem });
    expect(E.isRight(pub) && pub.right.jwtAlgorithms).toEqual(['RS256', 'ES256']);
    const both = configFromEnv({ MSGXC_JWT_PUBLIC_KEY: pem, MSGXC_JWT_SECRET: 's'.repeat(32) });
    expect(E.isRight(both) && both.right.jwtAlgorithms).toEqual(['HS256', 'RS256', 'ES256']);
  });

  it('refuses production mode without a key, naming the variables', () => {
    const c = configFromEnv({ MSGXC_MODE: 'production' });
    expect(E.isLeft(c) && c.left.join()).toMatch(/MSGXC_JWT_SECRET or MSGXC_JWT_PUBLIC_KEY/);
  });

  it('names every bad variable', () => {
    const c = configFromEnv({
      MSGXC_PORT: 'eighty',
      MSGXC_JWT_SECRET: 'short',
      MSGXC_EVENTSTORE: 'mysql://x',
      MSGXC_UNRELATED: 'ok',
    });
    expect(E.isLeft(c)).toBe(true);
    const text = E.isLeft(c) ? c.left.join('\n') : '';
    expect(text).toMatch(/MSGXC_PORT/);
    expect(text).toMatch(/MSGXC_JWT_SECRET/);
    expect(text).toMatch(/MSGXC_EVENTSTORE/);
    expect(text).not.toMatch(/short/);
  });

  it('takes the bus subject prefix from MSGXC_BUS_PREFIX (default msgxc) and refuses one that is not a single NATS token', () => {
    const base = { MSGXC_JWT_SECRET: 's'.repeat(32) };
    expect(E.isRight(configFromEnv(base)) && configFromEnv(base)).toMatchObject({ right: { busPrefix: 'msgxc' } });
    expect(configFromEnv({ ...base, MSGXC_BUS_PREFIX: 'e2e_ab12-x' })).toMatchObject({
      right: { busPrefix: 'e2e_ab12-x' },
    });
    for (const bad of ['a.b', 'a*', 'a b', '>', 'x'.repeat(65)]) {
      const c = configFromEnv({ ...base, MSGXC_BUS_PREFIX: bad });
      expect(E.isLeft(c) && c.left.join()).toMatch(/MSGXC_BUS_PREFIX/);
    }
  });

  it('chooses the embedded log writer with MSGXC_EMBEDDED_WRITER (a writer thread by default) and names a bad value', () => {
    const base = { MSGXC_JWT_SECRET: 's'.repeat(32) };
    expect(configFromEnv(base)).toMatchObject({ right: { embeddedWriter: 'thread' } });
    expect(configFromEnv({ ...base, MSGXC_EMBEDDED_WRITER: 'inline' })).toMatchObject({
      right: { embeddedWriter: 'inline' },
    });
    const bad = configFromEnv({ ...base, MSGXC_EMBEDDED_WRITER: 'threads' });
    expect(E.isLeft(bad) && bad.left.join()).toMatch(/MSGXC_EMBEDDED_WRITER/);
  });

  it('runs MSGXC_HTTP_THREADS threads (1 by default), above 1 only on the embedded stack', () => {
    const base = { MSGXC_JWT_SECRET: 's'.repeat(32) };
    expect(configFromEnv(base)).toMatchObject({ right: { httpThreads: 1 } });
    expect(configFromEnv({ ...base, MSGXC_HTTP_THREADS: '4' })).toMatchObject({ right: { httpThreads: 4 } });
    for (const bad of ['0', '65', 'two']) {
      const c = configFromEnv({ ...base, MSGXC_HTTP_THREADS: bad });
      expect(E.isLeft(c) && c.left.join(), bad).toMatch(/MSGXC_HTTP_THREADS/);
    }
    for (const production of [
      { MSGXC_EVENTSTORE: 'nats://127.0.0.1:4222' },
      { MSGXC_BUS: 'nats', MSGXC_NATS_URL: 'nats://127.0.0.1:4222' },
      { MSGXC_CASSANDRA_CONTACT_POINTS: '127.0.0.1:9042' },
      { MSGXC_ELASTIC_URL: 'http://127.0.0.1:9200' },
    ]) {
      const c = configFromEnv({ ...base, ...production, MSGXC_HTTP_THREADS: '2' });
      expect(E.isLeft(c) && c.left.join(), JSON.stringify(production)).toMatch(/MSGXC_HTTP_THREADS: above 1 only/);
      expect(configFromEnv({ ...base, ...production, MSGXC_HTTP_THREADS: '1' })).toMatchObject({
        right: { httpThreads: 1 },
      });
    }
  });
});
