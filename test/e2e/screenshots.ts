import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { removeDir } from './harness.js';
import { launchChromium } from './chromium.js';
import { seedBroker } from './admin-data.js';

// `npm run screenshots`: starts a broker with data (admin-data.ts), opens each admin page in
// headless Chromium and writes a PNG of it to screenshots/ (gitignored) for a reviewer.
// Waits on what each page shows (rows, bars, points), not on time.
const OUT = resolve(import.meta.dirname, '../../screenshots');

const main = async (): Promise<void> => {
  mkdirSync(OUT, { recursive: true });
  const seeded = await seedBroker();
  const browser = await launchChromium({ width: 1400, height: 1000 });
  try {
    const page = await browser.context.newPage();
    const shot = async (name: string): Promise<void> => {
      await page.screenshot({ path: resolve(OUT, `${name}.png`), fullPage: true });
      process.stdout.write(`${resolve(OUT, `${name}.png`)}\n`);
    };
    const open = async (path: string): Promise<Page> => {
      await page.goto(`${seeded.broker.url}${path}`);
      return page;
    };
    await open('/admin');
    await page.fill('#token', seeded.admin);
    await page.click('#save');
    await page.locator('#lagChart circle.point').nth(2).waitFor();
    await shot('overview');

    await open('/admin/messages');
    await page
      .locator('#results tr')
      .nth(seeded.published - 1)
      .waitFor();
    await page.click(`#results tr[data-mid="${seeded.mids.frank}"]`);
    await page.locator('#recipients .recipient').first().waitFor();
    await shot('messages-explain-frank');
    await page.click(`#results tr[data-mid="${seeded.mids.gina}"]`);
    await page.locator('#recipients tr[data-what="failed"]').first().waitFor();
    await shot('messages-explain-failed');

    await open('/admin/audit');
    await page.locator('#events tr').first().waitFor();
    await page.fill('#type', 'MessagePublished');
    await page.click('#eventForm button[type=submit]');
    await page.locator('#events tr', { hasText: 'MessagePublished' }).first().waitFor();
    await page.locator('#events tr').last().click();
    await page.click('#openStream');
    await page.locator('#verify:not([hidden])').waitFor();
    await page.click('#verify');
    await page.locator('#verifyResult', { hasText: 'OK' }).waitFor();
    await page.locator('#events tr').last().click();
    await shot('audit');

    await open('/admin/analytics');
    await page.locator('#volumeTotal', { hasText: String(seeded.published) }).waitFor();
    await page.locator('#reasonsInfo', { hasText: 'failure(s)' }).waitFor();
    // The route charts (funnel, per interval, online time) of the default range, drawn before the reasons.
    await page.locator('#funnel rect.bar').first().waitFor({ state: 'attached' });
    await page.locator('#series rect.bar').first().waitFor({ state: 'attached' });
    await shot('analytics');
  } finally {
    await browser.close();
    await seeded.close();
    removeDir(seeded.broker.dataDir);
  }
};

await main();
