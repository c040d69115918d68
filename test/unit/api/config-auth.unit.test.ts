import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../schema/config.js';

describe('token settings from the environment', () => {
  it('require exp by default, with a day of lifetime for tokens without it and 5 s of clock tolerance', () => {
    const c = configFromEnv({});
    expect(E.isRight(c) && c.right.auth).toEqual({ requireExp: true, maxLifetimeSec: 86_400, clockToleranceSec: 5 });
  });

  it('may allow tokens without exp, with a maximum lifetime', () => {
    const c = configFromEnv({
      MSGXC_JWT_REQUIRE_EXP: 'false',
      MSGXC_JWT_MAX_LIFETIME: '600',
      MSGXC_JWT_CLOCK_TOLERANCE: '0',
    });
    expect(E.isRight(c) && c.right.auth).toEqual({ requireExp: false, maxLifetimeSec: 600, clockToleranceSec: 0 });
  });

  it('names a bad value', () => {
    const c = configFromEnv({ MSGXC_JWT_REQUIRE_EXP: 'maybe', MSGXC_JWT_MAX_LIFETIME: '10' });
    const text = E.isLeft(c) ? c.left.join('\n') : '';
    expect(text).toMatch(/MSGXC_JWT_REQUIRE_EXP/);
    expect(text).toMatch(/MSGXC_JWT_MAX_LIFETIME/);
  });

  it('reads MSGXC_JWT_AUDIENCE as a list, and names a bad one', () => {
    const c = configFromEnv({ MSGXC_JWT_AUDIENCE: 'msgxc, notify' });
    expect(E.isRight(c) && c.right.auth.audience).toEqual(['msgxc', 'notify']);
    const bad = configFromEnv({ MSGXC_JWT_AUDIENCE: 'msgxc,,x' });
    expect(E.isLeft(bad) ? bad.left.join('\n') : '').toMatch(/MSGXC_JWT_AUDIENCE/);
  });
});
