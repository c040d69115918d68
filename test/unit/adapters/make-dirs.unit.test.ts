import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../../adapters/sqlite/dir.js';

// The data directory is made level by level: Node 20's recursive mkdirSync spins forever where
// a level cannot be made under an existing parent that answers ENOENT (/proc).
describe('making the data directory', () => {
  it('makes the missing levels, and is a no-op when they exist', () => {
    const base = mkdtempSync(join(tmpdir(), 'msgxc-dirs-'));
    const deep = join(base, 'a', 'b', 'c');
    makeDirs(deep);
    expect(existsSync(deep)).toBe(true);
    makeDirs(deep);
    makeDirs(`${deep}/`);
    rmSync(base, { recursive: true, force: true });
  });

  it('fails at once naming the directory where a level cannot be made', () => {
    expect(() => {
      makeDirs('/proc/msgxc-not-here/data');
    }).toThrow(/cannot make the directory \/proc\/msgxc-not-here\/data: ENOENT/);
  }, 5_000);
});
