import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, nodeId, removeDir, startServer, token, type Server } from './harness.js';
import { allEvents, startStandins, subscriptionId, waitFor, type Standins } from './standin-env.js';

// Dispatch isolation (issue 9): one provider request that never answers holds one slot of its
// own channel's lane (delivery/lanes.ts) and nothing else. The web push stand-in is told to
// hang for one subscription, and the channel timeout is set far beyond the test, so the hung
// request is still open while a later message goes out through APNs and to another web push
// subscription. Before lanes, a scheduler pass awaited every delivery it started, so both
// later sends waited for the hung one's timeout.
const CHANNEL_TIMEOUT_MS = 120_000; // the most MSGXC_CHANNEL_TIMEOUT_MS allows

let standins: Standins;
let server: Server;
let admin: string;

const send = async (uid: string, msg: string): Promise<string> => {
  const r = await call(server, 'POST', '/api/v2/send', { token: admin, body: { uid, msg, opts: { urgency: 4 } } });
  expect(r.status, r.text).toBe(200);
  return r.headers.get('x-message-id') ?? '';
};
const enlist = async (uid: string, body: object): Promise<void> => {
  const r = await call(server, 'POST', '/api/v2/enlist', { token: await token(uid), body });
  expect(r.status, r.text).toBe(200);
};
/** The delivery events of `mid` in the log, as [type, channel] pairs. */
const deliveryEvents = async (mid: string): Promise<[string, unknown][]> =>
  (await allEvents(server, admin))
    .filter((e) => e.type.startsWith('Delivery') && e.data['mid'] === mid)
    .map((e) => [e.type, e.data['channel']]);

beforeAll(async () => {
  standins = await startStandins();
  server = await startServer({
    env: {
      ...standins.env,
      MSGXC_CHANNEL_TIMEOUT_MS: String(CHANNEL_TIMEOUT_MS),
      MSGXC_LOG_LEVEL: 'warn',
      MSGXC_SCHEDULER_POLL_MS: '50',
      MSGXC_NODE_ID: nodeId('e2e-isolation'),
    },
  });
  admin = await token('root', ['admin']);
});
afterAll(async () => {
  await server.stop();
  await standins.close();
  removeDir(server.dataDir);
});

describe('a web push request that never answers', () => {
  it('delays neither the APNs sends nor the other web push sends that come after it', async () => {
    const hung = standins.webpush.subscribe('sub-isolation-hung');
    const other = standins.webpush.subscribe('sub-isolation-other');
    const iosToken = randomBytes(32).toString('hex');
    standins.webpush.recorder.on(subscriptionId(hung.endpoint), { kind: 'hang' });
    await enlist('iso-hung', hung);
    await enlist('iso-other', other);
    await enlist('iso-apple', { os: 'ios', token: iosToken });

    const first = await send('iso-hung', 'this push never gets an answer');
    // The provider call is out: the stand-in holds the request open.
    await waitFor('the hung web push request', () =>
      standins.webpush.recorder.forKey(subscriptionId(hung.endpoint)).length > 0 ? true : undefined,
    );
    const toApple = await send('iso-apple', 'through APNs meanwhile');
    const toOther = await send('iso-other', 'web push to someone else meanwhile');

    // Both later messages are delivered, each with its outcome in the log ...
    for (const [mid, channel] of [
      [toApple, 'apns'],
      [toOther, 'webpush'],
    ] as const)
      await waitFor(`${channel} delivery of ${mid}`, async () =>
        (await deliveryEvents(mid)).some(([type, c]) => type === 'DeliverySucceeded' && c === channel)
          ? true
          : undefined,
      );
    expect(standins.apns.recorder.forKey(iosToken)).toHaveLength(1);
    expect(standins.webpush.recorder.forKey(subscriptionId(other.endpoint))).toHaveLength(1);
    // ... while the first one is still claimed and unanswered: no outcome for it yet.
    expect(await deliveryEvents(first)).toEqual([['DeliveryAttempted', 'webpush']]);
    expect(standins.webpush.recorder.forKey(subscriptionId(hung.endpoint))).toHaveLength(1);
    // The operator sees it: the hung unit is still in flight on this node.
    const metrics = (await call(server, 'GET', '/metrics')).text;
    expect(Number(/^msgxc_dispatch_in_flight (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });
});
