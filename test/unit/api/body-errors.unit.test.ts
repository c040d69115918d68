import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { describeErrors } from '../../../schema/errors.js';
import { EnlistBody, MulticastBody, PublishBody } from '../../../schema/http.js';
import { OnadataMessageBody } from '../../../schema/onadata.js';

const errorsOf = (
  codec: { decode: (u: unknown) => E.Either<import('io-ts').Errors, unknown> },
  body: unknown,
): string[] => {
  const r = codec.decode(body);
  return E.isLeft(r) ? describeErrors(r.left) : [];
};

describe('request body errors name the field', () => {
  it('missing and mistyped fields', () => {
    expect(errorsOf(PublishBody, { msg: 'x' }).join()).toMatch(/^tid:/);
    expect(errorsOf(PublishBody, { tid: 't', msg: 5 }).join()).toMatch(/^msg:/);
    expect(errorsOf(PublishBody, { tid: 't', msg: 'x', opts: { urgency: 9 } }).join()).toMatch(/opts\.urgency/);
    expect(errorsOf(PublishBody, { tid: 't', msg: 'x', scheduled: 'tomorrow' }).join()).toMatch(/^scheduled:/);
  });

  it('a union of literals names every value it takes, not its first', () => {
    expect(errorsOf(PublishBody, { tid: 't', msg: 'x', opts: { urgency: 9 } })).toEqual([
      'opts.urgency: expected one of 1, 2, 3, 4 (got 9)',
    ]);
    expect(errorsOf(PublishBody, { tid: 't', msg: 'x', opts: { urgency: '2' } })).toEqual([
      'opts.urgency: expected one of 1, 2, 3, 4 (got "2")',
    ]);
  });

  it('a set of names (t.keyof) lists the names, whatever the codec is called', () => {
    expect(errorsOf(OnadataMessageBody, { target_type: 'xyz', target_id: '1', message: 'hi' })).toEqual([
      'target_type: expected one of user, xform, project (got "xyz")',
    ]);
  });

  it('array elements by index', () => {
    expect(errorsOf(MulticastBody, { msg: 'x', uids: ['a', 'b', 7] }).join()).toMatch(/uids\.2/);
    expect(errorsOf(MulticastBody, { msg: 'x', uids: [] }).join()).toMatch(/uids/);
  });

  it("accepts the seeds' bodies verbatim", () => {
    expect(
      errorsOf(MulticastBody, {
        msg: 'the message to broadcast',
        uids: ['00000000-0000-0000-0000-000000000000'],
        opts: { data: { key: 'whatever' } },
      }),
    ).toEqual([]);
    expect(
      errorsOf(EnlistBody, { os: 'ios', token: 'ad62ea6ea23d6974871cf59a06cbdb2783b85adbafe3355c0007362249d3e75c' }),
    ).toEqual([]);
    expect(
      errorsOf(EnlistBody, {
        endpoint:
          'https://fcm.googleapis.com/fcm/send/czVGxJOoycA:APA91bGZt8FZU2fEAnDCr1PdRb7HDtayoGDUO1dy6vjTu1sDKhGAAB0i2nXw_jGKhnzmh5rmK4klsyaRQaUpM0oS0VYGBCTTpF-nkP67UEW7BX9o7vNatcPuiG-yHa75hXE80B5F7DNi',
        expirationTime: null,
        keys: {
          p256dh: 'BN81HfHxzt4V4lXDV_2ia8Rl_QvqofvoNI7_MOHCiOMEYuFXFNDBOJzKCCj2nzK5luwnH6rvBCN2jx7lNHpraaw',
          auth: '0ywNrBxQ-rm4skkHDJB5lw',
        },
      }),
    ).toEqual([]);
  });
});
