import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

// `mkdirSync(dir, { recursive: true })` never returns on Node 20 when the directory cannot be
// made under an existing parent that answers ENOENT (MSGXC_DATA_DIR=/proc/x spun a core until
// killed). The missing levels are made one by one instead, so the failure is an error naming
// the level.
export const makeDirs = (dir: string): void => {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'EEXIST') continue;
      throw new Error(`cannot make the directory ${dir}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
};
