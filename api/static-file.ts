import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from './errors.js';
import type { Route } from './route.js';

// A page's file from the folder the composition root names (app/paths.ts): the admin UI
// (web/admin/) and the browser push page (web/push/). Without the folder, or the file, a 404
// that says what is missing; the name is fixed by the route, never taken from the request.
// Every page, as a header: the pages show other people's input (message text, stream names,
// provider reasons), inserted as text; this is the second line if one ever is not. Only the
// pages' own scripts run (no inline script, no eval), nothing is loaded from elsewhere, and no
// other site may frame them (frame-ancestors works only as a header: a framed overview, with
// its erase and rebuild forms under a token pasted in it, could be clickjacked). Inline style
// is allowed: the overview and the push page carry theirs (style cannot run code here).
export const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const staticFile =
  (dir: string | undefined, name: string, contentType: string, missing: string): Route['handler'] =>
  async () => {
    if (dir === undefined) return errors.notFound(missing);
    try {
      const body = await readFile(join(dir, name), 'utf8');
      return {
        status: 200,
        body,
        contentType,
        headers: contentType.startsWith('text/html')
          ? { 'Cache-Control': 'no-cache', 'Content-Security-Policy': PAGE_POLICY }
          : { 'Cache-Control': 'no-cache' },
      };
    } catch {
      return errors.notFound(missing);
    }
  };
