import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, token } from './harness.js';
import { launchChromium, type Browser } from './chromium.js';
import { HOSTILE, seedBroker, type Seeded } from './admin-data.js';
import { waitFor } from './standin-env.js';
import { openSocket } from './realtime-socket.js';

// The admin pages (message explorer, audit browser, analytics) in headless Chromium against
// a real broker with data (admin-data.ts: web push to the stand-in, email to the outbox, a
// thread with a hostile message). Each page is clicked through and what it shows is checked
// against the routes it reads: rows, the explain timeline, event metadata, bars and points.
let seeded: Seeded;
let browser: Browser;
let page: Page;
const requested: string[] = [];
const dialogs: string[] = [];

// A fresh page with only this token: the one kept in sessionStorage from before is dropped
// first, so no answer to the previous token's calls can land on the page under test.
const useToken = async (path: string, t: string): Promise<void> => {
  if (page.url().startsWith(seeded.broker.url)) await page.evaluate('sessionStorage.clear()');
  await page.goto(`${seeded.broker.url}${path}`);
  await page.fill('#token', t);
  await page.click('#save');
};
const texts = (selector: string): Promise<string[]> => page.locator(selector).allTextContents();
/** Each matching row's cells (th and td), as text. */
const cellsOf = async (selector: string): Promise<string[][]> => {
  const rows = page.locator(selector);
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push(await rows.nth(i).locator('th, td').allTextContents());
  return out;
};
/** `data-value` of each matching chart element (a bar, a point). */
const values = async (selector: string): Promise<number[]> => {
  const els = page.locator(selector);
  const out: number[] = [];
  for (let i = 0; i < (await els.count()); i++) out.push(Number(await els.nth(i).getAttribute('data-value')));
  return out;
};
const api = async <T>(path: string): Promise<T> =>
  (await call(seeded.broker, 'GET', path, { token: seeded.admin })).body as T;

beforeAll(async () => {
  seeded = await seedBroker();
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('request', (r) => requested.push(r.url()));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}, 300_000);

afterAll(async () => {
  await browser.close();
  await seeded.close();
  removeDir(seeded.broker.dataDir);
});

describe('admin pages in headless Chromium', () => {
  it('message explorer: searches, filters, pages, and explains per recipient', async () => {
    await useToken('/admin/messages', seeded.admin);
    await page
      .locator('#results tr')
      .nth(seeded.published - 1)
      .waitFor();
    expect(await page.locator('#results tr').count()).toBe(seeded.published);
    expect(await page.textContent('#total')).toContain(`${seeded.published} message(s) match`);
    const newestFirst = await texts('#results tr td.text');

    // Paged: five a page, "Older" goes on with the route's cursor, in the same order.
    await page.selectOption('#limit', '5');
    await page.click('#search button[type=submit]');
    await page.locator('#total', { hasText: 'showing 5' }).waitFor();
    await page.click('#more');
    await page.locator('#total', { hasText: `showing ${seeded.published}` }).waitFor();
    expect(await texts('#results tr td.text')).toEqual(newestFirst);
    expect(await page.isDisabled('#more')).toBe(true);
    await page.selectOption('#limit', '25');

    // The hostile message is shown as its text; nothing in it became an element or ran.
    const hostileRow = page.locator(`#results tr[data-mid="${seeded.mids.hostile}"]`);
    expect(await hostileRow.locator('td.text').textContent()).toBe(HOSTILE);
    expect(await page.locator('#results script, #results img, #results b').count()).toBe(0);

    // Filters go to the route: sender, text, thread, a time range with nothing in it.
    await page.fill('#sender', 'bob');
    await page.click('#search button[type=submit]');
    await page.locator('#total', { hasText: '5 message(s) match' }).waitFor();
    expect(new Set(await texts('#results tr td:nth-child(2)'))).toEqual(new Set(['bob']));
    await page.fill('#text', 'standup');
    await page.click('#search button[type=submit]');
    await page.locator('#total', { hasText: '1 message(s) match' }).waitFor();
    expect(await texts('#results td.text')).toEqual(['standup at ten']);
    await page.fill('#text', '');
    await page.fill('#sender', '');
    await page.fill('#since', '2001-01-01T00:00');
    await page.fill('#until', '2001-01-02T00:00');
    await page.click('#search button[type=submit]');
    await page.locator('#total', { hasText: '0 message(s) match' }).waitFor();
    await page.fill('#since', '');
    await page.fill('#until', '');
    await page.selectOption('#outcome', 'read');
    await page.click('#search button[type=submit]');
    await page.locator('#total', { hasText: '1 message(s) match' }).waitFor();
    expect(await page.getAttribute('#results tr', 'data-mid')).toBe(seeded.mids.frank);
    await page.selectOption('#outcome', '');
    await page.click('#search button[type=submit]');
    await page
      .locator('#results tr')
      .nth(seeded.published - 1)
      .waitFor();

    // Frank: the push planned by rule `offline` and sent, the email planned by `unread` and
    // sent through the outbox, his read receipt; in log order.
    await page.click(`#results tr[data-mid="${seeded.mids.frank}"]`);
    await page.locator('#explainMid', { hasText: seeded.mids.frank }).waitFor();
    const frank = page.locator('#recipients .recipient[data-uid="frank"]');
    await frank.waitFor();
    const rows = await cellsOf('#recipients .recipient[data-uid="frank"] tbody tr');
    const what = rows.map((r) => `${(r[2] ?? '').split(' ')[0]}:${r[3]}`);
    expect(what.filter((w) => w.endsWith(':planned')).sort()).toEqual(['email:planned', 'webpush:planned']);
    expect(what).toContain('webpush:sent');
    expect(what).toContain('email:sent');
    expect(rows.at(-1)?.[3]).toBe('receipt read');
    const positions = rows.map((r) => Number(r[0]));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(rows.find((r) => r[3] === 'planned' && r[2]?.startsWith('webpush'))?.[4]).toContain('rule offline');
    expect(rows.find((r) => r[3] === 'planned' && r[2]?.startsWith('email'))?.[4]).toContain('rule unread');
    expect(rows.find((r) => r[3] === 'sent' && r[2] === 'email')?.[4]).toMatch(/provider id outbox:\d+/);
    // The page shows what the route says: one row per plan step, fact, receipt and revocation.
    const story = await api<{
      recipients: { plan: unknown[]; steps: { entries: unknown[] }[]; receipts: unknown[]; revocations: unknown[] }[];
    }>(`/api/v2/messages/${seeded.mids.frank}/deliveries`);
    const r0 = story.recipients[0];
    const facts =
      r0 === undefined
        ? -1
        : r0.plan.length + r0.steps.flatMap((s) => s.entries).length + r0.receipts.length + r0.revocations.length;
    expect(rows).toHaveLength(facts);

    // Gina's device is gone: the failure with the provider's verdict and reason, the give-up, the revocation.
    await page.click(`#results tr[data-mid="${seeded.mids.gina}"]`);
    const gina = page.locator('#recipients .recipient[data-uid="gina"]');
    await gina.waitFor();
    expect(await gina.locator('tr[data-what="failed"] td').last().textContent()).toMatch(
      /outcome gone; reason: http 410/,
    );
    expect(await gina.locator('tr[data-what="gave-up"]').count()).toBe(1);
    expect(await gina.locator('tr[data-what="device revoked"]').count()).toBe(1);
    expect(await gina.locator('.chip', { hasText: 'webpush: given-up' }).count()).toBe(1);
    // Hal's first push met a 500: a failure to retry, and the retry scheduled.
    await page.click(`#results tr[data-mid="${seeded.mids.hal}"]`);
    const hal = page.locator('#recipients .recipient[data-uid="hal"]');
    await hal.waitFor();
    expect(await hal.locator('tr[data-what="failed"] td').last().textContent()).toMatch(
      /outcome retry; reason: http 500/,
    );
    expect(await hal.locator('tr[data-what="retry"]').count()).toBeGreaterThan(0);
  });

  it('audit browser: filters events, shows metadata and the chain link, checks a stream', async () => {
    await useToken('/admin/audit', seeded.admin);
    await page.locator('#events tr').first().waitFor();
    await page.locator('#streams tr').first().waitFor();
    await page.fill('#type', 'MessagePublished');
    await page.click('#eventForm button[type=submit]');
    await page.locator('#eventsInfo', { hasText: `${seeded.published} event(s) shown` }).waitFor();
    expect(new Set(await texts('#events tr td:nth-child(4)'))).toEqual(new Set(['MessagePublished']));

    // The hostile message's event: its data shown as text, its link and correlation told.
    await page.fill('#actor', 'bob');
    await page.click('#eventForm button[type=submit]');
    await page.locator('#eventsInfo', { hasText: '5 event(s) shown' }).waitFor();
    await page.locator('#events tr', { hasText: seeded.mids.hostile }).click();
    await page.locator('#data', { hasText: 'window.__pwned' }).waitFor();
    expect(JSON.parse((await page.textContent('#data')) ?? '')).toMatchObject({ msg: HOSTILE, from: 'bob' });
    expect(await page.locator('#detail script, #detail img, #detail b').count()).toBe(0);
    const fields = Object.fromEntries((await cellsOf('#fields tr')).map(([k, v]) => [k, v])) as Record<string, string>;
    expect(fields['chain hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(fields['chain prev']).toBe('0'.repeat(64));
    expect(fields['actor']).toBe('bob');
    const correlation = fields['correlation id'] ?? '';
    expect(correlation).not.toBe('');

    // Every event of that request, through the correlation filter the route applies.
    await page.click('#sameCorrelation');
    const shown = await waitFor('the events of the correlation', async () => {
      const cells = await texts('#events tr td:nth-child(7)');
      return cells.length > 0 && cells.every((x) => x === correlation) ? cells : undefined;
    });
    expect(shown.length).toBeGreaterThan(1);
    const byRoute = await api<{ events: { position: number }[] }>(
      `/api/v2/events?correlationId=${correlation}&limit=1000`,
    );
    expect((await texts('#events tr td:nth-child(1)')).map(Number)).toEqual(byRoute.events.map((e) => e.position));

    // A whole stream, then its chain checked in the browser with the server's hashing rule.
    await page.fill('#prefix', 'thread-lobby');
    await page.click('#streamForm button[type=submit]');
    await page.locator('#streams tr[data-stream="thread-lobby"]').click();
    await page.locator('#eventsInfo', { hasText: 'stream thread-lobby' }).waitFor();
    const stream = await api<{ events: unknown[] }>('/api/v2/streams/thread-lobby?limit=1000');
    expect(await page.locator('#events tr').count()).toBe(stream.events.length);
    await page.click('#verify');
    await page.locator('#verifyResult', { hasText: `OK: ${stream.events.length} link(s) check out` }).waitFor();

    // Paging: ten events a page; the next page goes on after the last position shown.
    await useToken('/admin/audit', seeded.admin);
    await page.selectOption('#limit', '10');
    await page.click('#eventForm button[type=submit]');
    await page.locator('#eventsInfo', { hasText: '10 event(s) shown; next page after position' }).waitFor();
    await page.click('#moreEvents');
    await page.locator('#eventsInfo', { hasText: '20 event(s) shown' }).waitFor();
    const first20 = await api<{ events: { position: number }[] }>('/api/v2/events?after=0&limit=20');
    expect((await texts('#events tr td:nth-child(1)')).map(Number)).toEqual(first20.events.map((e) => e.position));
  });

  it('analytics: volume per window, outcomes and failure reasons as SVG bars from the routes', async () => {
    await useToken('/admin/analytics', seeded.admin);
    await page.fill('#since', '2020-01-01T00:00');
    await page.fill('#until', '2100-01-01T00:00');
    await page.selectOption('#buckets', '12');
    await page.click('#range button[type=submit]');
    // The page's first draw (24 windows over the last day) may finish after the click: wait for
    // the chart the submitted range asks for, not for any total.
    await expect.poll(() => page.locator('#volume rect.bar').count(), { timeout: 30_000 }).toBe(12);
    await page.locator('#volumeTotal', { hasText: String(seeded.published) }).waitFor();
    const volume = await values('#volume rect.bar');
    expect(volume).toHaveLength(12);
    expect(volume.reduce((a, b) => a + b, 0)).toBe(seeded.published);
    // Everything was published just now: all in the window holding today.
    expect(volume.filter((v) => v > 0)).toEqual([seeded.published]);

    const outcomeTitles = await texts('#outcomes rect.bar title');
    const outcomeValues = await values('#outcomes rect.bar');
    const outcomes = outcomeTitles.map((t, i) => [t, outcomeValues[i]]);
    expect(outcomes).toHaveLength(8);
    expect(outcomes).toContainEqual(['read: 1', 1]);
    expect(outcomes).toContainEqual(['delivered: 1', 1]);

    await page.locator('#reasonsInfo', { hasText: 'failure(s) in the log' }).waitFor();
    const reasons = await page.locator('#reasons rect.bar title').allTextContents();
    expect(reasons.some((r) => /^webpush: gone: http 410.*: 1$/.test(r))).toBe(true);
    expect(reasons.some((r) => /^webpush: retry: http 500.*: 1$/.test(r))).toBe(true);
    expect(reasons.some((r) => /^webpush: gave up: http 410.*: 1$/.test(r))).toBe(true);

    // An analyst sees the volume but not the log's failure reasons (auditors and admins only).
    await useToken('/admin/analytics', await token('ana', ['analyst']));
    await page.locator('#volumeTotal', { hasText: String(seeded.published) }).waitFor();
    await page.locator('#reasonsInfo', { hasText: '403' }).waitFor();
    expect(await page.locator('#reasons rect.bar').count()).toBe(0);
  });

  it('analytics: the funnel, messages per interval and online time as charts with the routes’ numbers', async () => {
    // A websocket session, so that online time has something: held until a check-in is indexed.
    const socket = await openSocket(seeded.broker, await token('olga'));
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const since = new Date(Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000);
    const until = new Date(since.getTime() + 90 * 60_000);
    const range = `since=${since.toISOString()}&until=${until.toISOString()}`;
    type Online = {
      onlineSeconds: number;
      buckets: { onlineSeconds: number }[];
      top: { uid: string; onlineSeconds: number }[];
    };
    await waitFor(
      'a check-in to be indexed',
      async () => {
        const r = await api<Online>(`/api/v2/analytics/online?interval=minute&${range}`);
        return r.onlineSeconds > 0 ? true : undefined;
      },
      30_000,
      100,
    );
    await socket.close();
    // The node checks in the closed session's last stretch on its next tick (every 500 ms here),
    // indexed after that: wait until the report holds still before the page draws it.
    let before = -1;
    await waitFor(
      'the closed session to be checked in',
      async () => {
        const now = (await api<Online>(`/api/v2/analytics/online?interval=minute&${range}`)).onlineSeconds;
        const still = now === before;
        before = now;
        return still ? true : undefined;
      },
      30_000,
      1_500,
    );
    await useToken('/admin/analytics', seeded.admin);
    await page.fill('#since', local(since));
    await page.fill('#until', local(until));
    await page.click('#range button[type=submit]');
    await expect.poll(() => page.locator('#series rect.bar').count(), { timeout: 30_000 }).toBe(90);

    type Funnel = { addressed: number } & Record<string, { count: number }>;
    const f = await api<Funnel>(`/api/v2/analytics/funnel?${range}`);
    const stages = ['addressed', 'triaged', 'sent', 'delivered', 'seen', 'read', 'clicked'];
    expect(await texts('#funnel rect.bar title')).toEqual(
      stages.map((s) => `${s}: ${s === 'addressed' ? f.addressed : (f[s]?.count ?? -1)}`),
    );
    expect(f.addressed).toBeGreaterThan(0);
    const ts = await api<{ series: { buckets: { count: number }[] }[] }>(
      `/api/v2/analytics/timeseries?interval=minute&${range}`,
    );
    expect(await values('#series rect.bar')).toEqual(ts.series[0]?.buckets.map((b) => b.count));
    expect((await values('#series rect.bar')).reduce((a, b) => a + b, 0)).toBe(seeded.published);

    // Online time: the socket was closed before the page drew, so the route answers the same now.
    const online = await api<Online>(`/api/v2/analytics/online?interval=minute&${range}&top=10`);
    expect(online.onlineSeconds).toBeGreaterThan(0);
    await page.locator('#online rect.bar').nth(89).waitFor({ state: 'attached' });
    expect(await values('#online rect.bar')).toEqual(online.buckets.map((b) => b.onlineSeconds));
    expect(await values('#onlineTop rect.bar')).toEqual(online.top.map((u) => u.onlineSeconds));
    expect((await texts('#onlineTop rect.bar title')).map((t) => t.split(': ')[0])).toEqual(
      online.top.map((u) => u.uid),
    );
    expect(online.top.map((u) => u.uid)).toContain('olga');
  });

  it('overview: lag and throughput as line charts with a point per sample', async () => {
    await useToken('/admin', seeded.admin);
    await page.locator('#lagChart circle.point').nth(1).waitFor({ state: 'attached' });
    const lag = await values('#lagChart circle.point');
    expect(lag.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(await page.locator('#appendChart circle.point').count()).toBe(lag.length - 1);
  });

  it('needs the routes’ roles: no token, a plain user, an analyst on the audit log', async () => {
    await useToken('/admin/audit', await token('ana', ['analyst']));
    await page.locator('#error', { hasText: '403' }).waitFor();
    expect(await page.locator('#events tr').count()).toBe(0);
    await useToken('/admin/messages', await token('mallory'));
    await page.locator('#error', { hasText: '403' }).waitFor();
    expect(await page.locator('#results tr').count()).toBe(0);
    await useToken('/admin/messages', 'not-a-token');
    await page.locator('#error', { hasText: '401' }).waitFor();
    // The token never travelled in a URL, and nothing hostile ran.
    expect(requested.filter((u) => u.includes(seeded.admin) || /token|bearer/i.test(new URL(u).search))).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
  });
});
