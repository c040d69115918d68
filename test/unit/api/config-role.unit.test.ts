import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { configFromEnv, type Config } from '../../../schema/config.js';

// MSGXC_ROLE: which part of the broker a process runs (app/cli/start.ts), and
// MSGXC_DISPATCH_LEASE_MS: how long a reactor process's claim on a send holds.
const SPLIT = { MSGXC_EVENTSTORE: 'nats://127.0.0.1:4222', MSGXC_BUS: 'nats', MSGXC_NATS_URL: 'nats://127.0.0.1:4222' };
const decode = (env: Record<string, string>): Config | string => {
  const c = configFromEnv(env);
  return E.isRight(c) ? c.right : c.left.join('\n');
};
const config = (env: Record<string, string>): Config => {
  const c = decode(env);
  if (typeof c === 'string') throw new Error(c);
  return c;
};

describe('MSGXC_ROLE', () => {
  it('defaults to all, with the delivery reactors on unless MSGXC_REACTORS=false', () => {
    expect(config({}).role).toBe('all');
    expect(config({}).triage.enabled).toBe(true);
    expect(config({ MSGXC_REACTORS: 'false' }).triage.enabled).toBe(false);
  });

  it('api turns the delivery reactors off, whatever MSGXC_REACTORS says; reactors keeps them on', () => {
    expect(config({ ...SPLIT, MSGXC_ROLE: 'api' })).toMatchObject({ role: 'api', triage: { enabled: false } });
    expect(config({ ...SPLIT, MSGXC_ROLE: 'api', MSGXC_REACTORS: 'true' }).triage.enabled).toBe(false);
    expect(config({ ...SPLIT, MSGXC_ROLE: 'reactors' })).toMatchObject({ role: 'reactors', triage: { enabled: true } });
    expect(config({ ...SPLIT, MSGXC_EVENTSTORE: 'esdb://127.0.0.1:2113', MSGXC_ROLE: 'reactors' }).role).toBe(
      'reactors',
    );
  });

  it('refuses, naming the variable, an unknown role, a split role on a log of one node or without the NATS bus, and reactors with the reactors off', () => {
    for (const [env, why] of [
      [{ MSGXC_ROLE: 'worker' }, /MSGXC_ROLE.*all, api, reactors/],
      [{ MSGXC_ROLE: 'reactors' }, /MSGXC_ROLE=reactors: needs a log every node shares.*"embedded"/],
      [{ MSGXC_ROLE: 'api', MSGXC_EVENTSTORE: 'memory' }, /MSGXC_ROLE=api: needs a log every node shares.*"memory"/],
      [{ ...SPLIT, MSGXC_BUS: 'inprocess', MSGXC_ROLE: 'reactors' }, /MSGXC_ROLE=reactors: needs MSGXC_BUS=nats/],
      [{ ...SPLIT, MSGXC_ROLE: 'reactors', MSGXC_REACTORS: 'false' }, /MSGXC_REACTORS=false: contradicts MSGXC_ROLE/],
    ] as const) {
      const out = decode(env);
      expect(typeof out, JSON.stringify(env)).toBe('string');
      expect(out).toMatch(why);
    }
  });
});

describe('MSGXC_DISPATCH_LEASE_MS', () => {
  it("is absent by default (delivery's own default) and taken in 1 s .. 1 h", () => {
    expect(config({}).triage.leaseMs).toBeUndefined();
    expect(config({ MSGXC_DISPATCH_LEASE_MS: '5000' }).triage.leaseMs).toBe(5000);
    expect(decode({ MSGXC_DISPATCH_LEASE_MS: '999' })).toMatch(/MSGXC_DISPATCH_LEASE_MS/);
    expect(decode({ MSGXC_DISPATCH_LEASE_MS: 'soon' })).toMatch(/MSGXC_DISPATCH_LEASE_MS/);
  });
});

describe('MSGXC_REACTORS_SNAPSHOT_MS', () => {
  it('is 10 minutes by default, 0 turns snapshots off, and a week at most', () => {
    expect(config({}).triage.snapshotMs).toBe(600_000);
    expect(config({ MSGXC_REACTORS_SNAPSHOT_MS: '0' }).triage.snapshotMs).toBe(0);
    expect(config({ MSGXC_REACTORS_SNAPSHOT_MS: '60000' }).triage.snapshotMs).toBe(60_000);
    expect(decode({ MSGXC_REACTORS_SNAPSHOT_MS: String(8 * 24 * 3_600_000) })).toMatch(/MSGXC_REACTORS_SNAPSHOT_MS/);
    expect(decode({ MSGXC_REACTORS_SNAPSHOT_MS: 'hourly' })).toMatch(/MSGXC_REACTORS_SNAPSHOT_MS/);
  });
});
