import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../schema/config.js';
import { DEFAULT_LIMITS } from '../../../schema/config-limits.js';

describe('rate limit and load shedding settings from the environment', () => {
  it('default to the documented figures', () => {
    const c = configFromEnv({});
    expect(E.isRight(c) && c.right.limits).toEqual(DEFAULT_LIMITS);
    expect(DEFAULT_LIMITS).toEqual({
      rates: {
        userWrites: { perSec: 100, burst: 200 },
        userReads: { perSec: 200, burst: 400 },
        ip: { perSec: 100, burst: 500 },
        admin: 'off',
        tableSize: 100_000,
        trustedProxies: [],
      },
      shedding: { maxWritesInFlight: 1000, maxLagMs: 500 },
    });
    expect(E.isRight(c) && c.right.idempotencyTtlSec).toBe(86_400);
  });

  it('read a rate, a rate with its burst, fractions, off, proxies and bounds', () => {
    const c = configFromEnv({
      MSGXC_RATE_USER_WRITES: '5',
      MSGXC_RATE_USER_READS: '0.5:3',
      MSGXC_RATE_IP: 'off',
      MSGXC_RATE_ADMIN: '1000:5000',
      MSGXC_RATE_TABLE_SIZE: '1000',
      MSGXC_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7,fd00::/8',
      MSGXC_SHED_QUEUE: '4',
      MSGXC_SHED_LAG_MS: '50',
      MSGXC_IDEMPOTENCY_TTL: '3600',
    });
    expect(E.isRight(c) && c.right.limits).toEqual({
      rates: {
        userWrites: { perSec: 5, burst: 10 },
        userReads: { perSec: 0.5, burst: 3 },
        ip: 'off',
        admin: { perSec: 1000, burst: 5000 },
        tableSize: 1000,
        trustedProxies: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8'],
      },
      shedding: { maxWritesInFlight: 4, maxLagMs: 50 },
    });
    expect(E.isRight(c) && c.right.idempotencyTtlSec).toBe(3600);
  });

  it.each([
    ['MSGXC_RATE_USER_WRITES', '0'],
    ['MSGXC_RATE_USER_WRITES', '-1'],
    ['MSGXC_RATE_USER_READS', '10:0'],
    ['MSGXC_RATE_IP', 'fast'],
    ['MSGXC_RATE_ADMIN', '1e3'],
    ['MSGXC_RATE_ADMIN', '10:5:1'],
    ['MSGXC_RATE_TABLE_SIZE', '10'],
    ['MSGXC_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['MSGXC_TRUSTED_PROXIES', 'lb.internal'],
    ['MSGXC_TRUSTED_PROXIES', '10.0.0.1/8/1'],
    ['MSGXC_SHED_QUEUE', '0'],
    ['MSGXC_SHED_LAG_MS', '1'],
    ['MSGXC_IDEMPOTENCY_TTL', '5'],
  ])('refuse %s=%s, naming the variable', (name, value) => {
    const c = configFromEnv({ [name]: value });
    expect(E.isLeft(c) ? c.left.join('\n') : 'accepted').toMatch(name);
  });
});
