import { execFileSync } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import { resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, removeDir, startServer, tempDir, token, type Server } from './harness.js';

// The client library in a real browser: headless Chromium (Debian's package, installed by
// test/infra/install-chromium.sh) loads a page that imports the compiled client served by the
// broker, connects with a token in the query string, and receives a message sent over HTTP.
const INSTALL = resolve(import.meta.dirname, '../infra/install-chromium.sh');

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>msgxc client</title></head>
<body><h1>msgxc</h1><ul id="log"></ul>
<script type="module">
  import { connect } from '/client.js';
  const q = new URLSearchParams(location.search);
  window.received = [];
  window.statuses = [];
  window.client = connect({
    url: q.get('broker'), token: q.get('token'),
    onStatus: (s) => window.statuses.push(s),
    onUnseen: () => window.statuses.push('live'),
    onMessage: (m) => {
      window.received.push(m);
      const li = document.createElement('li');
      li.textContent = m.from + ': ' + m.msg;
      document.getElementById('log').append(li);
    },
  });
</script></body></html>`;

let broker: Server;
let page: Page;
let context: BrowserContext;
let site: HttpServer;
let siteUrl = '';
const profile = tempDir('msgxc-chromium-');

beforeAll(async () => {
  const executablePath = execFileSync('bash', [INSTALL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  broker = await startServer({ env: { MSGXC_LOG_LEVEL: 'warn' } });
  // The page's own origin serves the page and, proxied from the broker, the client module
  // (module scripts are fetched with CORS; the websocket then goes to the broker directly).
  site = createServer((req, res) => {
    if (req.url?.startsWith('/client.js') === true) {
      void fetch(`${broker.url}/api/v2/client.js`).then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' });
        res.end(await r.text());
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((done) => {
    site.listen(0, '127.0.0.1', done);
  });
  const address = site.address();
  siteUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await context.newPage();
}, 300_000);

afterAll(async () => {
  await context.close();
  await new Promise((done) => site.close(done));
  await broker.stop();
  removeDir(broker.dataDir);
  removeDir(profile);
});

describe('client library in headless Chromium', () => {
  it('connects from a page and receives a message sent over HTTP, once', async () => {
    const t = await token('browser-user');
    await page.goto(`${siteUrl}/?broker=${encodeURIComponent(broker.url)}&token=${encodeURIComponent(t)}`);
    // Live once the unseen snapshot arrived: a message sent before it is listed there instead.
    await page.waitForFunction(
      () => (globalThis as unknown as { statuses: string[] }).statuses.includes('live'),
      undefined,
      { timeout: 20_000 },
    );
    const admin = await token('admin', ['admin']);
    const r = await call(broker, 'POST', '/api/v2/send', {
      token: admin,
      body: { uid: 'browser-user', msg: 'hello, browser' },
    });
    const mid = r.headers.get('x-message-id');
    await page.waitForFunction(
      () => (globalThis as unknown as { received: unknown[] }).received.length > 0,
      undefined,
      { timeout: 20_000 },
    );
    const received = await page.evaluate(
      () => (globalThis as unknown as { received: { mid: string; msg: string; from: string }[] }).received,
    );
    expect(received).toEqual([expect.objectContaining({ mid, msg: 'hello, browser', from: 'admin' })]);
    expect(await page.textContent('#log')).toContain('admin: hello, browser');
    // The page acknowledges through the client's helper; the receipt is in the log.
    const ack = await page.evaluate(
      async (m) =>
        (globalThis as unknown as { client: { ack(mids: string[], s: string): Promise<{ type: string }> } }).client.ack(
          [m ?? ''],
          'seen',
        ),
      mid,
    );
    expect(ack.type).toBe('ok');
    const inbox = await call(broker, 'GET', '/api/v2/inbox', { token: t });
    expect((inbox.body as { messages: { mid: string; seen: boolean }[] }).messages).toEqual([
      expect.objectContaining({ mid, seen: true }),
    ]);
  });
});
