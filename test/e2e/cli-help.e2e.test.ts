import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from './harness.js';

// The command line as a new user meets it: `--help` after any command answers the help and
// does nothing else (no broker started, no data file opened, no token minted), and what a
// command does not take is refused by name instead of ignored.
const BIN = resolve(import.meta.dirname, '../../dist/bin/msgxc.js');

describe('msgxc <command> --help and stray arguments', () => {
  const dataDir = tempDir();
  afterAll(() => {
    removeDir(dataDir);
  });
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      env: { ...process.env, MSGXC_DATA_DIR: join(dataDir, 'd'), MSGXC_PORT: '0', MSGXC_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 20_000,
    });

  it.each(['start', 'reactors', 'token', 'rebuild', 'audit', 'audit export', 'import', 'vapid-keys'])(
    'msgxc %s --help prints the help, exits 0 and touches nothing',
    (line) => {
      const command = line.split(' ');
      for (const flag of ['--help', '-h']) {
        const r = run([...command, flag]);
        expect(r.signal, `${command.join(' ')} ${flag} did not end by itself`).toBeNull();
        expect(r.status).toBe(0);
        expect(r.stdout).toContain('usage: msgxc');
        expect(r.stdout).not.toMatch(/^eyJ/m);
      }
      expect(existsSync(join(dataDir, 'd')) ? readdirSync(join(dataDir, 'd')) : []).toEqual([]);
    },
  );

  it('refuses an argument start does not take, naming it', () => {
    const r = run(['start', '--port', '9000']);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('"--port"');
    expect(r.stderr).toContain('MSGXC_');
  });

  it('refuses an option where the token subject goes, and mints for a real subject', () => {
    const bad = run(['token', '--roles', 'admin']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"--roles"');
    expect(bad.stdout).toBe('');
    const extra = run(['token', 'alice', 'admin', 'oops']);
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain('"oops"');
    const good = run(['token', 'alice', 'admin']);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });
});
