import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { decode, unknownKeysOn, type UnknownKeys } from '../../../api/route.js';
import * as http from '../../../schema/http.js';
import { NotifyBody } from '../../../schema/notify.js';
import { OnadataMessageBody } from '../../../schema/onadata.js';
import { MAX_UNKNOWN_KEYS, hasClosedObjects, unknownKeys } from '../../../schema/unknown-keys.js';

// Which keys of a body its codec does not know (schema/unknown-keys.ts), and what /api/v2's
// decode makes of them (api/route.ts): refused naming the key with its path, while free-form
// objects (opts, attributes, a segment query checked by its own decoder) take any key.
const keys = (codec: t.Decoder<unknown, unknown>, body: unknown): string[] =>
  unknownKeys(codec, body).map((m) => m.slice(0, m.indexOf(': ')));

const decoded = (codec: t.Decoder<unknown, unknown>, body: unknown, on: UnknownKeys = 'refuse'): string =>
  E.fold(
    (e: { msg: string }) => `400 ${e.msg}`,
    () => 'ok',
  )(decode(codec, { body, unknownKeys: on }));

const send = { uid: 'u1', msg: 'hi' };
const variants = [
  { name: 'a', msg: 'x', weight: 1 },
  { name: 'b', msg: 'y', weight: 1 },
];

describe('unknown keys of a request body', () => {
  it('names an unknown top-level key, with what the object takes', () => {
    expect(unknownKeys(http.SendBody, { ...send, urgncy: 5 })).toEqual([
      'urgncy: unknown field (expected one of uid, msg, opts, scheduled, subject, variants)',
    ]);
    expect(keys(http.SendBody, send)).toEqual([]);
    expect(keys(http.SendBody, { ...send, opts: { urgency: 4 }, subject: 's', variants })).toEqual([]);
  });

  it('names a nested unknown key by its path: local schedules, variants, devices, profile objects', () => {
    expect(keys(http.PublishBody, { tid: 't', msg: 'x', scheduled: { at: '10:00', timezone: 'UTC', tz: 1 } })).toEqual([
      'scheduled.tz',
    ]);
    expect(
      keys(http.MulticastBody, { uids: ['a'], msg: 'x', variants: [variants[0], { ...variants[1], wieght: 2 }] }),
    ).toEqual(['variants.1.wieght']);
    const endpoint = 'https://fcm.googleapis.com/fcm/send/x';
    expect(keys(http.EnlistBody, { endpoint, keys: { p256dh: 'p', auth: 'a' }, expirationTime: null })).toEqual([]);
    expect(keys(http.EnlistBody, { os: 'ios', token: 'abc', model: 'x' })).toEqual(['model']);
    expect(
      keys(http.ProfileBody, {
        thread: { tid: 't', channels: [], x: 1 },
        quietHours: { from: '22:00', to: '07:00', zz: 1 },
        timezone: null,
      }),
    ).toEqual(['thread.x', 'quietHours.zz']);
    expect(keys(http.ProfileBody, { quietHours: null })).toEqual([]);
  });

  it('leaves free-form objects alone: opts (passed through to pushes), attributes, a segment query', () => {
    expect(
      keys(http.SendBody, { ...send, opts: { data: { key: 'whatever' }, foo: 1, throttle: { email: 5 } } }),
    ).toEqual([]);
    expect(keys(http.ProfileBody, { attributes: { real_name: 'A', tags: ['x'], anything: { deep: 1 } } })).toEqual([]);
    expect(keys(http.AudienceBody, { msg: 'x', query: { tag: 'a', extra: 1 } })).toEqual([]);
    // `uids` beside a segment is a key the body knows: refused by the route with its own reason.
    expect(keys(http.AudienceBody, { msg: 'x', segment: 's', uids: ['a'] })).toEqual([]);
    expect(keys(http.AudienceBody, { msg: 'x', segment: 's', sgement: 1 })).toEqual(['sgement']);
  });

  it('takes a web push subscription as the browser makes it: new members of it or of its keys are dropped, not refused', () => {
    // PushSubscription.toJSON(): the Push API may add members (and `keys` is a record).
    const endpoint = 'https://fcm.googleapis.com/fcm/send/x';
    const grown = { endpoint, expirationTime: null, keys: { p256dh: 'p', auth: 'a', extra: 'x' }, later: 1 };
    expect(keys(http.EnlistBody, grown)).toEqual([]);
    const r = decode(http.EnlistBody, { body: grown, unknownKeys: 'refuse' });
    expect(E.isRight(r) && r.right).toEqual({ endpoint, expirationTime: null, keys: { p256dh: 'p', auth: 'a' } });
    // ...while a native device (the app's own body) is still closed, not checked as a subscription.
    expect(keys(http.EnlistBody, { os: 'android', token: 'abc', later: 1 })).toEqual(['later']);
    // A subscription that no member takes is still named as one: its missing keys, not `endpoint`.
    expect(decoded(http.EnlistBody, { endpoint, kys: {} })).not.toMatch(/endpoint: unknown/);
  });

  it('works on undecodable input without throwing, naming what it can', () => {
    for (const body of [null, 1, 'x', [], [1, 2], { uid: 5, msg: [] }, { variants: 'x', scheduled: [1] }])
      expect(() => unknownKeys(http.SendBody, body)).not.toThrow();
    expect(keys(http.SendBody, { uid: 'u1', mesage: 'x' })).toEqual(['mesage']);
    expect(keys(http.SendBody, [{ foo: 1 }])).toEqual([]);
    // A union none of whose members takes the value: the member that knows most of its keys.
    expect(keys(http.EnlistBody, { os: 'ios', tokn: 'x' })).toEqual(['tokn']);
    // ...here the web push subscription, which is open by design: its decoding errors name the fields.
    expect(keys(http.EnlistBody, { endpoint: 'x', keys: {}, os: 1 })).toEqual([]);
  });

  it('names an unprintable key escaped and cut, and at most MAX_UNKNOWN_KEYS of them', () => {
    expect(unknownKeys(http.CancelBody, { mid: 'm', '\u0001a"b': 1 })[0]).toMatch(/^"\\u0001a\\"b": unknown field/);
    expect(unknownKeys(http.CancelBody, { mid: 'm', ['k'.repeat(500)]: 1 })[0]?.length).toBeLessThan(200);
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`x${i}`, i]));
    expect(unknownKeys(http.CancelBody, { mid: 'm', ...many })).toHaveLength(MAX_UNKNOWN_KEYS);
    // An own __proto__ key (JSON.parse makes one) is a key like any other.
    expect(keys(http.CancelBody, JSON.parse('{"mid":"m","__proto__":{"x":1}}'))).toEqual(['__proto__']);
  });

  it('every body codec of /api/v2 closes its top level (a new one made of t.type/t.partial does too)', () => {
    const bodies = Object.entries(http).filter(([name]) => name.endsWith('Body'));
    expect(bodies.length).toBeGreaterThan(15);
    for (const [name, codec] of bodies) {
      expect(hasClosedObjects(codec as t.Mixed), name).toBe(true);
      expect(keys(codec as t.Mixed, { zz: 1 }), name).toEqual(['zz']);
    }
    // Opaque codecs are free-form: nothing to close.
    expect(hasClosedObjects(t.unknown)).toBe(false);
    expect(hasClosedObjects(t.intersection([t.type({ a: t.string }), t.UnknownRecord]))).toBe(false);
  });
});

describe('decode: /api/v2 refuses unknown keys, the compatibility surfaces ignore them', () => {
  it('is decided by the route path', () => {
    expect(unknownKeysOn('/api/v2/send')).toBe('refuse');
    for (const p of ['/api/v1/send', '/api/v1/native/subscribe', '/api/messaging', '/api/v1/messaging', '/notify'])
      expect(unknownKeysOn(p), p).toBe('ignore');
  });

  it('a typo is a 400 naming it, before the field it hides; ignored where the surface ignores it', () => {
    expect(decoded(http.SendBody, { ...send, urgncy: 5 })).toBe(
      '400 urgncy: unknown field (expected one of uid, msg, opts, scheduled, subject, variants)',
    );
    expect(decoded(http.SendBody, { uid: 'u1', mesage: 'x' })).toMatch(/^400 mesage: unknown field .*; msg: expected/);
    expect(decoded(http.SendBody, { ...send, urgncy: 5 }, 'ignore')).toBe('ok');
    expect(decoded(http.EnlistBody, { os: 'ios', token: 'abc', model: 'x' }, 'ignore')).toBe('ok');
    expect(decoded(OnadataMessageBody, { target_type: 'user', target_id: 'u', message: 'x', extra: 1 }, 'ignore')).toBe(
      'ok',
    );
    expect(decoded(NotifyBody, { content: 'x', users: [{ id: 1, email: null, name: 'n' }], extra: 1 }, 'ignore')).toBe(
      'ok',
    );
  });

  it('a valid body decodes as before, and an enlisted device keeps only its known fields', () => {
    const r = decode(http.EnlistBody, { body: { os: 'ios', token: 'abc', model: 'x' }, unknownKeys: 'ignore' });
    expect(E.isRight(r) && r.right).toEqual({ os: 'ios', token: 'abc' });
    expect(decoded(http.SendBody, send)).toBe('ok');
  });
});
