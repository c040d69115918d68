import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';
import { allEvents } from './standin-env.js';

// The admin UI's forms in headless Chromium (Debian's package, test/infra/install-chromium.sh):
// a system message to everyone and to listed users, a user look-up, a thread's members added
// and removed. Each action is checked where it lands: the log, the read models.
const INSTALL = resolve(import.meta.dirname, '../infra/install-chromium.sh');
let broker: Server;
let context: BrowserContext;
let page: Page;
let root: string;
const profile = tempDir('msgxc-chromium-admin-');

beforeAll(async () => {
  const executablePath = execFileSync('bash', [INSTALL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  broker = await startServer({ env: { MSGXC_LOG_LEVEL: 'warn' } });
  root = await token('root', ['admin']);
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await context.newPage();
  await page.goto(`${broker.url}/admin`);
  await page.fill('#token', root);
  await page.click('#save');
}, 300_000);

afterAll(async () => {
  await context.close();
  await broker.stop();
  removeDir(broker.dataDir);
  removeDir(profile);
});

describe('admin UI in headless Chromium', () => {
  it('sends a system message to everyone, then to listed users', async () => {
    await page.fill('#sysMsg', 'maintenance at noon');
    await page.click('#sysForm button[type=submit]');
    await page.locator('#sysResult', { hasText: 'sent: ' }).waitFor();
    const mid = ((await page.textContent('#sysResult')) ?? '').slice('sent: '.length);
    const published = (await allEvents(broker, root, ['MessagePublished'])).find((e) => e.data['mid'] === mid);
    expect(published?.data).toMatchObject({ msg: 'maintenance at noon', audience: { kind: 'everyone' }, from: 'root' });

    await page.fill('#sysMsg', 'just you two');
    await page.fill('#sysUids', 'ann, bob');
    await page.click('#sysForm button[type=submit]');
    await page.locator('#sysResult', { hasText: 'sent: ' }).filter({ hasNotText: mid }).waitFor();
    const second = ((await page.textContent('#sysResult')) ?? '').slice('sent: '.length);
    const multi = (await allEvents(broker, root, ['MessagePublished'])).find((e) => e.data['mid'] === second);
    expect(multi?.data).toMatchObject({ msg: 'just you two', audience: { kind: 'users', uids: ['ann', 'bob'] } });
  });

  it('looks up a user, showing hostile profile text as text', async () => {
    const ann = await token('ann');
    expect(
      (
        await call(broker, 'POST', '/api/v2/profile', {
          token: ann,
          body: { email: 'ann@example.com', attributes: { x: 1 } },
        })
      ).status,
    ).toBe(200);
    await page.fill('#userId', 'ann');
    await page.click('#userForm button');
    await page.locator('#userInfo', { hasText: 'ann@example.com' }).waitFor();
    expect(await page.textContent('#userInfo')).toContain('online');
  });

  it('opens a thread, adds and removes a member', async () => {
    const ann = await token('ann');
    expect(
      (await call(broker, 'POST', '/api/v2/threads', { token: ann, body: { tid: 'ops', name: '<b>Ops</b>' } })).status,
    ).toBe(201);
    await page.fill('#threadId', 'ops');
    await page.click('#threadForm button');
    await page.locator('#threadInfo', { hasText: 'owner ann' }).waitFor();
    // The name is user input: shown as text, never parsed as HTML.
    expect(await page.textContent('#threadInfo')).toContain('<b>Ops</b>');
    expect(await page.$$('#threadInfo b')).toHaveLength(0);

    // Settings: a new name (hostile too, shown as text) and the thread opened to subscribers.
    expect(await page.textContent('#threadInfo')).toContain('closed to subscribers');
    await page.fill('#threadName', 'Ops <i>team</i>');
    await page.selectOption('#threadOpens', 'true');
    await page.click('#settingsForm button');
    await page.locator('#threadInfo', { hasText: 'open to subscribers' }).waitFor();
    expect(await page.textContent('#threadInfo')).toContain('Ops <i>team</i>: owner ann');
    expect(await page.$$('#threadInfo i')).toHaveLength(0);
    const changed = (await allEvents(broker, root, ['ThreadSettingsChanged'])).filter((e) => e.data['tid'] === 'ops');
    expect(changed.map((e) => e.data)).toEqual([expect.objectContaining({ name: 'Ops <i>team</i>', opens: true })]);
    expect(changed[0]?.data).not.toHaveProperty('openp');
    // Nothing chosen: refused in the page, nothing sent.
    await page.fill('#threadName', '');
    await page.selectOption('#threadOpens', '');
    await page.click('#settingsForm button');
    await page.locator('#threadInfo', { hasText: 'nothing to change' }).waitFor();

    await page.fill('#memberUid', 'carl');
    await page.selectOption('#memberRole', 'subscriber');
    await page.click('#memberForm button[type=submit]');
    await page.locator('#members', { hasText: 'carl' }).waitFor();
    expect(
      await call(broker, 'GET', '/api/v2/threads/ops/subscribers', { token: root }).then((r) => r.body),
    ).toMatchObject({
      subscribers: [{ uid: 'carl', roles: ['subscriber'] }],
    });
    await page.click('#memberRemove');
    await page.locator('#members tr', { hasText: 'carl' }).waitFor({ state: 'detached' });
    const removed = (await allEvents(broker, root, ['ThreadMemberRemoved'])).filter((e) => e.data['tid'] === 'ops');
    expect(removed.map((e) => e.data['uid'])).toEqual(['carl']);
  });
});
