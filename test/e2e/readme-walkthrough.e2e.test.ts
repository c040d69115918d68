import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, removeDir, SECRET, startServer, tempDir, token, waitForOutput, type Server } from './harness.js';
import { stackEnv } from './stack.js';
import { matches, parseExpectation, type Expectation } from './walkthrough-match.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Step {
  command: string;
  expect: Expectation[];
}

// The README's walkthrough block, as steps: each command with the `# =>` lines after it,
// checked by the rule in walkthrough-match.ts (exact unless `...` marks left-out output).
const walkthrough = (): Step[] => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```sh walkthrough\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README has no ```sh walkthrough block');
  const steps: Step[] = [];
  for (const line of block.replace(/\\\n/g, ' ').split('\n')) {
    const expectation = /^# => (.*)$/.exec(line);
    if (expectation?.[1] !== undefined) {
      const step = steps[steps.length - 1];
      if (step === undefined) throw new Error(`README walkthrough: "${line}" follows no command`);
      step.expect.push(parseExpectation(expectation[1]));
    } else if (line.trim() !== '' && !line.startsWith('#')) steps.push({ command: line, expect: [] });
  }
  return steps;
};

describe('README walkthrough on a real server process', () => {
  const dataDir = tempDir();
  let server: Server | undefined;
  afterAll(async () => {
    await server?.stop();
    removeDir(dataDir);
  });

  it('runs every command of the walkthrough with the documented results', async () => {
    server = await startServer({ dataDir });
    const steps = walkthrough();
    expect(steps.length).toBeGreaterThan(10);
    const outDir = tempDir('msgxc-walk-');
    // One bash process, so exported variables carry over from step to step as in a terminal.
    const script = steps.map((s, i) => `{ ${s.command} ; } > ${outDir}/${i}.out 2>&1`).join('\n');
    writeFileSync(join(outDir, 'walk.sh'), script);
    execFileSync('bash', [join(outDir, 'walk.sh')], {
      cwd: ROOT,
      // The server's configuration, as a reader's shell would have it: `msgxc audit` reads the
      // log it names (on the production stack, the JetStream cluster rather than the data dir).
      env: {
        PATH: process.env['PATH'] ?? '',
        MSGXC: server.url,
        MSGXC_JWT_SECRET: SECRET,
        MSGXC_DATA_DIR: dataDir,
        ...stackEnv(dataDir),
      },
      timeout: 60_000,
    });
    steps.forEach((s, i) => {
      const out = readFileSync(join(outDir, `${i}.out`), 'utf8');
      for (const e of s.expect)
        expect(
          matches(out, e),
          `step ${i}: ${s.command}\n  expected (${e.kind}): ${JSON.stringify(e.text)}\n  output: ${JSON.stringify(out)}`,
        ).toBe(true);
    });
    removeDir(outDir);
  });

  it('finds every message, member and device again after a restart on the same data directory', async () => {
    await server?.stop();
    server = await startServer({ dataDir });
    const bob = await token('bob');
    const alice = await token('alice');
    const inbox = await call(server, 'GET', '/api/v2/inbox', { token: bob });
    expect(inbox.status).toBe(200);
    const msgs = (inbox.body as { messages: { msg: string }[] }).messages.map((m) => m.msg);
    expect(msgs).toEqual(['the message to send', 'hello lobby']);
    const thread = await call(server, 'GET', '/api/v2/threads/lobby', { token: bob });
    expect(thread.body).toMatchObject({ tid: 'lobby', owner: 'alice', opens: true, subscribers: 1 });
    const devices = await call(server, 'GET', '/api/v2/users/alice/devices', { token: alice });
    expect((devices.body as { devices: { channel: string }[] }).devices.map((d) => d.channel)).toEqual(['apns']);
  });
});

describe('start-up modes', () => {
  it('development mode prints working tokens; production mode without a key refuses to start', async () => {
    const dir = tempDir();
    const dev = await startServer({ dataDir: dir, env: { MSGXC_JWT_SECRET: '' } });
    try {
      const out = await waitForOutput(dev, /user token "alice".*\n/);
      expect(out).toContain('DEVELOPMENT MODE');
      const admin = /admin token \(30 days\): (\S+)/.exec(out)?.[1] ?? '';
      const r = await call(dev, 'POST', '/api/v2/broadcast', { token: admin, body: { msg: 'hi all' } });
      expect(r.status).toBe(200);
    } finally {
      await dev.stop();
    }
    let failure = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'dist/bin/msgxc.js')], {
        env: { PATH: process.env['PATH'] ?? '', MSGXC_MODE: 'production', MSGXC_DATA_DIR: dir, MSGXC_PORT: '0' },
        timeout: 20_000,
        stdio: 'pipe',
      });
    } catch (e) {
      failure = String((e as { stderr?: Buffer }).stderr ?? e);
    }
    expect(failure).toMatch(/MSGXC_JWT_SECRET or MSGXC_JWT_PUBLIC_KEY/);
    removeDir(dir);
  });
});
