import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { checkDevice } from '../../../domain/device.js';
import { DEVICE_SUPERSEDED, userDecider } from '../../../domain/user.js';
import { LIMITS } from '../../../schema/bounds.js';
import type { Device } from '../../../schema/devices.js';
import type { UserEvent } from '../../../schema/events.js';
import { DEFAULT_PUSH_SERVICE_HOSTS, pushEndpointProblem } from '../../../schema/push-endpoint.js';
import { did, uid } from './fixtures.js';
import { gwt } from './gwt.js';

// Issue 9, finding 8a: a web push endpoint is checked when it is enlisted, not only when the
// broker is about to POST to it.
const keys = { p256dh: 'BPk1', auth: 'aXV0aA' };
const sub = (endpoint: string): Device => ({ endpoint, keys });
const refused = (endpoint: string, hosts: readonly string[] | '*' = DEFAULT_PUSH_SERVICE_HOSTS) =>
  checkDevice(sub(endpoint), hosts);

describe('checkDevice (enlist)', () => {
  it('accepts the push services and their subdomains, and native devices as they are', () => {
    for (const e of [
      'https://fcm.googleapis.com/fcm/send/abc:APA91b',
      'https://updates.push.services.mozilla.com/wpush/v2/gAAA',
      'https://web.push.apple.com/QGk',
      'https://wns2-by3p.notify.windows.com/w/?token=x',
    ])
      expect(refused(e)).toEqual(E.right(sub(e)));
    expect(checkDevice({ os: 'ios', token: 'ad62ea' }, DEFAULT_PUSH_SERVICE_HOSTS)).toEqual(
      E.right({ os: 'ios', token: 'ad62ea' }),
    );
  });

  it('refuses with 422-kind errors naming the endpoint: http, addresses, localhost, link-local, credentials, other hosts', () => {
    const cases: [string, RegExp][] = [
      ['http://fcm.googleapis.com/fcm/send/x', /https/],
      ['https://169.254.169.254/latest/meta-data', /IP address/],
      ['https://127.0.0.1:8443/push', /IP address/],
      ['https://0x7f000001/push', /IP address/], // the URL parser turns this into 127.0.0.1
      ['https://[::1]/push', /IP address/],
      ['https://[fe80::1]/push', /IP address/],
      ['https://localhost/push', /localhost/],
      ['https://push.localhost/push', /localhost/],
      ['https://metadata/computeMetadata', /local name/],
      ['https://printer.local/x', /local name/],
      ['https://user:pw@fcm.googleapis.com/fcm/send/x', /credentials/],
      ['https://fcm.googleapis.com@169.254.169.254/x', /credentials/],
      ['https://fcm.googleapis.com:8443/fcm/send/x', /default https port/],
      ['https://evil.example.com/fcm.googleapis.com', /not an allowed push service/],
      ['https://notfcm.googleapis.com.evil.example/x', /not an allowed push service/],
    ];
    for (const [endpoint, why] of cases) {
      const r = refused(endpoint);
      expect(r, endpoint).toMatchObject(E.left({ kind: 'unprocessable', code: 'PushEndpointIsNotAllowed' }));
      expect(E.isLeft(r) ? r.left.msg : '', endpoint).toMatch(/^endpoint /);
      expect(E.isLeft(r) ? r.left.msg : '', endpoint).toMatch(why);
    }
  });

  it("allows a host the operator listed by exact name on any port (the tests' stand-in), but `*` never opens addresses", () => {
    expect(refused('https://127.0.0.1:8443/push/x', ['127.0.0.1'])).toEqual(
      E.right(sub('https://127.0.0.1:8443/push/x')),
    );
    expect(refused('https://push.example.org/x', '*')).toEqual(E.right(sub('https://push.example.org/x')));
    expect(E.isLeft(refused('https://127.0.0.1/push', '*'))).toBe(true);
    expect(E.isLeft(refused('https://localhost/push', '*'))).toBe(true);
    expect(E.isLeft(refused('https://push.example.org:444/x', '*'))).toBe(true);
  });

  it('the same rule decides delivery (pushEndpointProblem) and enlisting', () => {
    expect(pushEndpointProblem('https://169.254.169.254/x', ['127.0.0.1'])).toMatch(/MSGXC_WEBPUSH_ALLOWED_HOSTS/);
    expect(pushEndpointProblem('not a url', '*')).toBe('endpoint is not a URL');
  });
});

describe('Enlist keeps at most LIMITS.devices devices', () => {
  const given = gwt(userDecider);
  const A = uid('alice');
  const native = (i: number): Device => ({ os: 'android', token: `t${i}` });
  const enlisted = (i: number): UserEvent => ({
    type: 'DeviceEnlisted',
    data: { uid: A, deviceId: did(`d${i}`), device: native(i) },
  });
  const full = Array.from({ length: LIMITS.devices }, (_, i) => enlisted(i));

  it('Given a user with the most devices, When one more is enlisted, Then the oldest is revoked as superseded', () => {
    given(full)
      .when({ type: 'Enlist', uid: A, deviceId: did('new'), device: native(99) })
      .then([
        { type: 'DeviceEnlisted', data: { uid: A, deviceId: did('new'), device: native(99) } },
        { type: 'DeviceRevoked', data: { uid: A, deviceId: did('d0'), reason: DEVICE_SUPERSEDED } },
      ]);
  });
  it('Given a user with the most devices, When one of them is enlisted again, Then none is revoked', () => {
    given(full)
      .when({ type: 'Enlist', uid: A, deviceId: did('d3'), device: native(3) })
      .then([enlisted(3)]);
  });
  it('Given more devices than the bound (enlisted before it), When one more is enlisted, Then all the surplus goes at once', () => {
    const over = Array.from({ length: LIMITS.devices + 3 }, (_, i) => enlisted(i));
    const r = given(over).when({ type: 'Enlist', uid: A, deviceId: did('new'), device: native(99) }).result;
    expect(E.isRight(r) && r.right.filter((e) => e.type === 'DeviceRevoked').map((e) => e.data.deviceId)).toEqual([
      'd0',
      'd1',
      'd2',
      'd3',
    ]);
  });
});
