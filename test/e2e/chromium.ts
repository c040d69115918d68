import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { removeDir, tempDir } from './harness.js';

// Headless Chromium from Debian's package (test/infra/install-chromium.sh installs it if
// missing), driven by playwright-core, in a throw-away profile.
const INSTALL = resolve(import.meta.dirname, '../infra/install-chromium.sh');

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export const launchChromium = async (viewport = { width: 1280, height: 900 }): Promise<Browser> => {
  const executablePath = execFileSync('bash', [INSTALL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const profile = tempDir('msgxc-chromium-pages-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      removeDir(profile);
    },
  };
};
