import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { allEvents, pushPayloads, startStandins, subscriptionId, waitFor, type Standins } from './standin-env.js';

// The browser push page and service worker (web/push/) in headless Chromium (Debian's
// package, test/infra/install-chromium.sh). The broker sends a real web push to the stand-in
// push service (test/standins/webpush.ts), which decrypts it to the exact JSON the broker's
// mapper produced; that payload is handed to the registered worker with the DevTools
// protocol's ServiceWorker.deliverPushMessage (Chromium has no push service here). The
// notification the worker shows is read back with getNotifications(); a click (the worker's
// test hook runs its real click path) posts the signed receipt, and the log records it with
// its channel, so the email escalation step is skipped.
const INSTALL = resolve(import.meta.dirname, '../infra/install-chromium.sh');
const RECEIPT_SECRET = 'receipt-secret-0123456789-0123456789';
let standins: Standins;
let broker: Server;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let root: string;
const profile = tempDir('msgxc-chromium-push-');
const registrations = new Map<string, string>(); // scope URL -> registration id

// The browser globals the page functions below use (the tests' tsconfig has no DOM library).
interface Registration {
  readonly active: { readonly state: string; postMessage(m: unknown, transfer: unknown[]): void } | null;
  getNotifications(): Promise<{ title: string; body: string; icon: string; tag: string; data: unknown }[]>;
}
interface Browser {
  readonly navigator: {
    readonly serviceWorker: {
      getRegistration(scope: string): Promise<Registration | undefined>;
      addEventListener(type: 'message', f: (e: { data: unknown }) => void): void;
    };
  };
  readonly Notification: { readonly permission: string };
  told: { tag: string | null }[];
  readonly msgxcPush: { vapidKey(): Promise<Uint8Array>; enlist(token: string, sub: unknown): Promise<void> };
}

interface Shown {
  title: string;
  body: string;
  icon: string;
  tag: string;
  data: { mid?: string; url?: string; receipt?: string };
}

const shown = (): Promise<Shown[]> =>
  page.evaluate(async () => {
    const reg = await (globalThis as unknown as Browser).navigator.serviceWorker.getRegistration('/push/');
    if (reg === undefined) return [];
    return (await reg.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      icon: n.icon,
      tag: n.tag,
      data: n.data as Shown['data'],
    }));
  });

beforeAll(async () => {
  const executablePath = execFileSync('bash', [INSTALL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  standins = await startStandins();
  broker = await startServer({
    env: {
      ...standins.env,
      MSGXC_RECEIPT_SECRET: RECEIPT_SECRET,
      // Urgency 3's email step comes 15 minutes after the push: 18 s here, room for the click.
      MSGXC_TRIAGE_TIME_SCALE: '0.02',
      MSGXC_LOG_LEVEL: 'warn',
    },
  });
  root = await token('root', ['admin']);
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-sync', '--no-first-run'],
  });
  await context.grantPermissions(['notifications'], { origin: broker.url });
  page = await context.newPage();
  cdp = await context.newCDPSession(page);
  type Registrations = { registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] };
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e: Registrations) => {
    for (const r of e.registrations) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
  await page.goto(`${broker.url}/push`);
  // What the worker tells open pages: {type: 'msgxc:shown', mid, tag, title} per notification.
  await page.evaluate(() => {
    const w = globalThis as unknown as Browser;
    w.told = [];
    w.navigator.serviceWorker.addEventListener('message', (e) => w.told.push(e.data as { tag: string | null }));
  });
}, 300_000);

/** Waits until the worker says it showed the notification tagged `tag` (null: untagged). */
const told = (tag: string | null) =>
  page.waitForFunction((t) => (globalThis as unknown as Browser).told.some((m) => m.tag === t), tag);

afterAll(async () => {
  await context.close();
  await broker.stop();
  await standins.close();
  removeDir(broker.dataDir);
  removeDir(profile);
});

/** The worker's test hook: the notification tagged `tag` goes through the worker's click path. */
interface Clicked {
  readonly found: number;
  readonly receipt: number;
  readonly open: string;
}
const click = (tag: string): Promise<Clicked> =>
  page.evaluate(async (t) => {
    const reg = await (globalThis as unknown as Browser).navigator.serviceWorker.getRegistration('/push/');
    const { port1, port2 } = new MessageChannel();
    const answer = new Promise<Clicked>((ok) => {
      (port1 as unknown as { onmessage: (e: { data: Clicked }) => void }).onmessage = (e) => {
        ok(e.data);
      };
    });
    reg?.active?.postMessage({ type: 'msgxc:click', tag: t }, [port2]);
    return answer;
  }, tag);

describe('web push service worker in headless Chromium', () => {
  it('registers the worker and gets the VAPID key from the broker', async () => {
    const pia = await token('pia');
    await page.fill('#token', pia);
    await page.click('#enable');
    // The worker is active and notifications allowed once the page subscribes. Headless
    // Chromium reaches no push service (subscribing asks Google's), so the subscription never
    // settles here; enlisting is checked below with a subscription of the stand-in push
    // service, through the page's own enlist code.
    await page.locator('#status', { hasText: 'subscribing' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as Browser).Notification.permission)).toBe('granted');
    const state = await page.evaluate(
      async () =>
        (await (globalThis as unknown as Browser).navigator.serviceWorker.getRegistration('/push/'))?.active?.state,
    );
    expect(state).toBe('activated');
    const key = await page.evaluate(async () =>
      Array.from(await (globalThis as unknown as Browser).msgxcPush.vapidKey()),
    );
    expect(Buffer.from(key).toString('base64url')).toBe(standins.env['MSGXC_VAPID_PUBLIC_KEY']);
    await waitFor('the registration over CDP', () => registrations.get(`${broker.url}/push/`));
  });

  it('shows the push the broker sent, and a click posts the receipt that skips the email step', async () => {
    const pia = await token('pia');
    const sub = standins.webpush.subscribe();
    await page.evaluate(
      async ([t, s]) => {
        await (globalThis as unknown as Browser).msgxcPush.enlist(t, s);
      },
      [pia, sub] as const,
    );
    const devices = (await call(broker, 'GET', '/api/v2/devices', { token: pia })).body as {
      devices: { channel: string }[];
    };
    expect(devices.devices.map((d) => d.channel)).toEqual(['webpush']);
    expect(
      (await call(broker, 'POST', '/api/v2/profile', { token: pia, body: { email: 'pia@example.com' } })).status,
    ).toBe(200);

    const sent = await call(broker, 'POST', '/api/v2/send', {
      token: root,
      body: {
        uid: 'pia',
        msg: 'your order shipped',
        opts: { title: 'Orders', icon: '/icons/box.png', url: `${broker.url}/push?order=42` },
      },
    });
    expect(sent.status, sent.text).toBe(200);
    const mid = sent.headers.get('x-message-id') ?? '';
    const payload = await waitFor('the push at the push service', () =>
      pushPayloads(standins.webpush, subscriptionId(sub.endpoint)).find((p) => p.mid === mid),
    );

    const registrationId = registrations.get(`${broker.url}/push/`) ?? '';
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: broker.url,
      registrationId,
      data: JSON.stringify(payload),
    });
    await told(`msgxc:${mid}`);
    const [note, ...more] = await shown();
    expect(more).toEqual([]);
    expect(note).toMatchObject({
      title: 'Orders',
      body: 'your order shipped',
      icon: `${broker.url}/icons/box.png`,
      tag: `msgxc:${mid}`,
      data: { mid, url: `${broker.url}/push?order=42` },
    });
    expect(note?.data.receipt).toMatch(/^[\w-]+\.[\w-]{43}$/);

    // From the hook the browser refuses to open a window (only a real click may): the page
    // part of a click is therefore not checked here.
    expect(await click(`msgxc:${mid}`)).toMatchObject({
      found: 1,
      receipt: 200,
      open: 'refused: Not allowed to open a window.',
    });
    expect(await shown()).toEqual([]); // a click closes it
    const acks = (await allEvents(broker, root, ['MessagesAcknowledged'])).filter((e) => e.data['uid'] === 'pia');
    expect(acks.map((e) => e.data)).toEqual([{ uid: 'pia', mids: [mid], status: 'clicked', channel: 'webpush' }]);
    const decided = await waitFor(
      'the email step decision',
      async () => {
        const d = (await allEvents(broker, root, ['DeliverySkipped', 'DeliverySucceeded']))
          .filter((e) => e.data['mid'] === mid)
          .map((e) => `${String(e.data['channel'])}:${e.type}`);
        return d.some((x) => x.startsWith('email:')) ? d.sort() : undefined;
      },
      60_000,
      200,
    );
    expect(decided).toEqual(['email:DeliverySkipped', 'webpush:DeliverySucceeded']);
  }, 120_000);

  it('shows hostile or foreign payloads safely: text only, no script URL, no receipt posted', async () => {
    const pages = context.pages().length;
    const registrationId = registrations.get(`${broker.url}/push/`) ?? '';
    const deliver = (data: string) =>
      cdp.send('ServiceWorker.deliverPushMessage', { origin: broker.url, registrationId, data });
    await deliver(
      JSON.stringify({
        msg: '<img src=x onerror=alert(1)>',
        mid: 'hostile-1',
        slug: 'x',
        opts: { title: 42, url: 'javascript:alert(1)', icon: 'data:image/png;base64,AA==' },
        receipt: 'forged.token',
      }),
    );
    await deliver('not json at all');
    await told('msgxc:hostile-1');
    await told(null);
    const notes = await shown();
    expect(notes).toHaveLength(2);
    const hostile = notes.find((n) => n.tag === 'msgxc:hostile-1');
    expect(hostile).toMatchObject({ title: 'New message', body: '<img src=x onerror=alert(1)>', icon: '' });
    expect(hostile?.data.url).toBeUndefined();
    expect(notes.find((n) => n.tag === '')).toMatchObject({ title: 'New message', body: 'not json at all' });
    // The forged token is posted and refused (401); nothing is recorded, nothing opened.
    expect(await click('msgxc:hostile-1')).toEqual({
      type: 'msgxc:clicked',
      tag: 'msgxc:hostile-1',
      found: 1,
      receipt: 401,
      open: 'none',
    });
    const acks = (await allEvents(broker, root, ['MessagesAcknowledged'])).filter((e) =>
      (e.data['mids'] as string[]).includes('hostile-1'),
    );
    expect(acks).toEqual([]);
    expect(context.pages()).toHaveLength(pages);
  });
});
