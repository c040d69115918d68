import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from './errors.js';
import type { Route } from './route.js';

// A page's file from the folder the composition root names (app/paths.ts): the admin UI
// (web/admin/) and the browser push page (web/push/). Without the folder, or the file, a 404
// that says what is missing; the name is fixed by the route, never taken from the request.
export const staticFile =
  (dir: string | undefined, name: string, contentType: string, missing: string): Route['handler'] =>
  async () => {
    if (dir === undefined) return errors.notFound(missing);
    try {
      const body = await readFile(join(dir, name), 'utf8');
      return { status: 200, body, contentType, headers: { 'Cache-Control': 'no-cache' } };
    } catch {
      return errors.notFound(missing);
    }
  };
