import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// test/infra/lib.sh's infra_lock: every install script takes one flock before it installs, so
// servers started side by side never run two apt-get (or Maven) at once. Proven without
// installing anything: several bash processes source lib.sh with MSGXC_INFRA_CACHE on a temp
// dir and, holding the lock, log when they enter and leave.
const LIB = resolve(import.meta.dirname, '../infra/lib.sh');
const HOLDERS = 5;
const cache = mkdtempSync(join(tmpdir(), 'msgxc-infra-lock-'));
afterAll(() => {
  rmSync(cache, { recursive: true, force: true });
});

// Each holder logs `want`, takes the lock, logs `enter`, waits until every holder has logged
// `want` (so the others are queued behind it, not merely late), holds 200 ms, logs `leave`.
const holder = (i: number, log: string): Promise<number | null> =>
  new Promise((done) => {
    const script = `
    set -euo pipefail
    . "${LIB}"
    stamp() { printf '%s %s %s\\n' "$(date +%s%N)" "$1" ${String(i)} >> "${log}"; }
    stamp want
    infra_lock
    stamp enter
    for _ in $(seq 1 500); do [ "$(grep -c ' want ' "${log}")" -ge ${String(HOLDERS)} ] && break; sleep 0.01; done
    sleep 0.2
    stamp leave
  `;
    const child = spawn('bash', ['-c', script], {
      env: { PATH: process.env['PATH'] ?? '', MSGXC_INFRA_CACHE: cache },
      stdio: 'inherit',
    });
    child.on('close', done);
  });

interface Stamp {
  readonly at: bigint;
  readonly what: 'want' | 'enter' | 'leave';
  readonly who: number;
}
const stamps = (log: string): Stamp[] =>
  readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [at = '0', what = '', who = ''] = l.split(' ');
      return { at: BigInt(at), what: what as Stamp['what'], who: Number(who) };
    })
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

describe('test/infra install lock', () => {
  it('lets exactly one holder in at a time, however many start together', async () => {
    const log = join(cache, 'stamps.log');
    expect(await Promise.all(Array.from({ length: HOLDERS }, (_, i) => holder(i, log)))).toEqual(
      Array.from({ length: HOLDERS }, () => 0),
    );
    const inside = stamps(log).filter((s) => s.what !== 'want');
    // In time order the lock's log reads enter, leave, enter, leave...: never two inside at once.
    expect(inside.map((s) => s.what)).toEqual(Array.from({ length: HOLDERS }, () => ['enter', 'leave']).flat());
    for (let k = 0; k < inside.length; k += 2) expect(inside[k]?.who, `pair ${String(k / 2)}`).toBe(inside[k + 1]?.who);
    // They really contended: every holder asked for the lock before the first one left it.
    const all = stamps(log);
    const firstLeave = all.find((s) => s.what === 'leave')?.at ?? 0n;
    expect(all.filter((s) => s.what === 'want').every((s) => s.at < firstLeave)).toBe(true);
    expect(new Set(inside.map((s) => s.who)).size).toBe(HOLDERS);
  });

  it("keeps its lock file in the cache directory, and gives apt its own wait for dpkg's lock", async () => {
    const out = await new Promise<string>((done) => {
      let text = '';
      const child = spawn('bash', ['-c', `. "${LIB}"; infra_lock; infra_cache_dir; printf '%s\\n' "\${APT_WAIT[@]}"`], {
        env: { PATH: process.env['PATH'] ?? '', MSGXC_INFRA_CACHE: cache },
      });
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('close', () => {
        done(text);
      });
    });
    expect(out.trim().split('\n')).toEqual([
      cache,
      '-o',
      expect.stringMatching(/^DPkg::Lock::Timeout=\d+$/) as unknown,
    ]);
    expect(existsSync(join(cache, '.install.lock'))).toBe(true);
  });
});
