import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, token, type Reply, type Server } from './harness.js';

// Issue 9, finding 8a, through the real process: enlist stored any web push endpoint (http,
// 127.0.0.1, 169.254.169.254) and refused it only at delivery. Now an endpoint must be an https
// URL of an allowed push service (MSGXC_WEBPUSH_ALLOWED_HOSTS, default the browsers' services),
// refused at enlist with a 422 naming `endpoint`; every stored field of a device is bounded.
const keys = {
  p256dh: 'BN81HfHxzt4V4lXDV_2ia8Rl_QvqofvoNI7_MOHCiOMEYuFXFNDBOJzKCCj2nzK5luwnH6rvBCN2jx7lNHpraaw',
  auth: '0ywNrBxQ-rm4skkHDJB5lw',
};
const seedEndpoint =
  'https://fcm.googleapis.com/fcm/send/czVGxJOoycA:APA91bGZt8FZU2fEAnDCr1PdRb7HDtayoGDUO1dy6vjTu1sDKhGAAB0i2nXw';

const notAllowed = (r: Reply): void => {
  expect(r.status, r.text).toBe(422);
  expect(r.body).toMatchObject({
    code: 'PushEndpointIsNotAllowed',
    msg: expect.stringMatching(/^endpoint /) as unknown,
  });
};

describe('enlist on a real server process (default push services)', () => {
  let server: Server;
  let alice: string;
  beforeAll(async () => {
    server = await startServer();
    alice = await token('alice');
  });
  afterAll(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });
  const enlist = (body: unknown) => call(server, 'POST', '/api/v2/enlist', { token: alice, body });
  const devices = async (): Promise<unknown[]> =>
    ((await call(server, 'GET', '/api/v2/users/alice/devices', { token: alice })).body as { devices: unknown[] })
      .devices;

  it('refuses endpoints outside the push services with 422 naming endpoint, and stores none of them', async () => {
    for (const endpoint of [
      'http://fcm.googleapis.com/fcm/send/x',
      'https://169.254.169.254/latest/meta-data/',
      'https://127.0.0.1:8443/push',
      'https://[::1]/push',
      'https://localhost/push',
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://user:secret@fcm.googleapis.com/fcm/send/x',
      'https://fcm.googleapis.com@169.254.169.254/',
      'https://evil.example.com/push',
    ])
      notAllowed(await enlist({ endpoint, keys }));
    notAllowed(
      await call(server, 'POST', '/api/v1/native/subscribe', {
        token: alice,
        body: { endpoint: 'https://10.0.0.7/push', keys },
      }),
    );
    expect(await devices()).toEqual([]);
  });

  it("accepts the seed's subscription and stores only the fields it knows", async () => {
    const extras = {
      endpoint: seedEndpoint,
      expirationTime: null,
      keys: { ...keys, extra: 'x'.repeat(1000) },
      tracking: { a: 1 },
    };
    // A web push subscription is the browser's PushSubscription.toJSON(), which the Push API may
    // extend: /api/v2 takes it as the seed's route does, and stores none of the unknown members.
    expect((await enlist(extras)).body).toBe(true);
    expect((await call(server, 'POST', '/api/v1/native/subscribe', { token: alice, body: extras })).body).toBe(true);
    expect(await devices()).toHaveLength(1);
    const [device] = await devices();
    expect(JSON.stringify(device)).not.toMatch(/tracking|extra/);
    expect(device).toMatchObject({ channel: 'webpush' });
  });

  it('bounds every stored field of a device: 400 naming the field', async () => {
    // A device is one of two shapes, so the message names the field in the shape it tried.
    const bad = async (body: unknown, field: string): Promise<void> => {
      const r = await enlist(body);
      expect(r.status, r.text).toBe(400);
      expect((r.body as { msg: string }).msg).toMatch(new RegExp(`(^|; )${field.replace('.', '\\.')}: expected`));
    };
    await bad({ os: 'ios', token: 'a'.repeat(4097) }, 'token');
    await bad({ os: 'android', token: 'has spaces in it' }, 'token');
    await bad({ endpoint: `${seedEndpoint}/${'x'.repeat(2048)}`, keys }, 'endpoint');
    await bad({ endpoint: seedEndpoint, keys: { ...keys, p256dh: 'p'.repeat(257) } }, 'keys.p256dh');
    await bad({ endpoint: seedEndpoint, keys: { ...keys, auth: 'a'.repeat(65) } }, 'keys.auth');
    await bad({ endpoint: seedEndpoint, keys, expirationTime: 8_640_000_000_000_000 }, 'expirationTime');
  });
});

describe('enlist with MSGXC_WEBPUSH_ALLOWED_HOSTS (and no VAPID keys: web push goes to the outbox)', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer({ env: { MSGXC_WEBPUSH_ALLOWED_HOSTS: '127.0.0.1,push.example.org' } });
  });
  afterAll(async () => {
    await server.stop();
    removeDir(server.dataDir);
  });

  it('allows exactly the listed hosts (an address only when listed by itself), and nothing else', async () => {
    const bob = await token('bob');
    const enlist = (endpoint: string) =>
      call(server, 'POST', '/api/v2/enlist', { token: bob, body: { endpoint, keys } });
    expect((await enlist('https://127.0.0.1:8443/push/x')).status).toBe(200);
    expect((await enlist('https://eu.push.example.org/x')).status).toBe(200);
    notAllowed(await enlist(seedEndpoint));
    notAllowed(await enlist('https://127.0.0.2/push'));
    notAllowed(await enlist('https://push.example.org:8443/x'));
  });
});
