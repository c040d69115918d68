import { describe, expect, it } from 'vitest';
import { asUserId } from '../../../schema/ids.js';
import { onadataTarget } from '../../../schema/onadata.js';

// onadata's forms and projects are integer pks: "01337", "1337" and 1337 name the same form there.
describe('onadata targets', () => {
  it('a form or project pk names one thread however the integer is written', () => {
    for (const type of ['xform', 'project'] as const) {
      const want = { kind: 'thread', tid: `${type}:1337` };
      expect(onadataTarget(type, 1337)).toEqual(want);
      expect(onadataTarget(type, asUserId('1337'))).toEqual(want);
      expect(onadataTarget(type, asUserId('0001337'))).toEqual(want);
      expect(onadataTarget(type, asUserId('0'))).toEqual({ kind: 'thread', tid: `${type}:0` });
      expect(onadataTarget(type, asUserId('000'))).toEqual({ kind: 'thread', tid: `${type}:0` });
      // Digits beyond a double's precision are kept exactly.
      expect(onadataTarget(type, asUserId('090071992547409931'))).toEqual({
        kind: 'thread',
        tid: `${type}:90071992547409931`,
      });
      // An id that is not an integer (our own thread names) is kept as given.
      expect(onadataTarget(type, asUserId('survey-7'))).toEqual({ kind: 'thread', tid: `${type}:survey-7` });
    }
  });

  it('a user id is kept as given: ours are strings, and 007 is not 7', () => {
    expect(onadataTarget('user', asUserId('007'))).toEqual({ kind: 'user', uid: '007' });
    expect(onadataTarget('user', 7)).toEqual({ kind: 'user', uid: '7' });
  });
});
