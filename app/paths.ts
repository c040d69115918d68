import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Files the node serves that the compiler does not emit. web/admin and web/push sit at the package root,
// one folder up from this module in the source tree (app/paths.ts) and two from the build
// (dist/app/paths.js): two fixed places, nothing searched for.
const fromPackage = (relative: string, marker: string): string | undefined =>
  [`../${relative}`, `../../${relative}`]
    .map((p) => fileURLToPath(new URL(p, import.meta.url)))
    .find((dir) => existsSync(join(dir, marker)));

export const ADMIN_UI_DIR = fromPackage('web/admin/', 'index.html');
export const PUSH_UI_DIR = fromPackage('web/push/', 'index.html');
