import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staticFile } from '../../../api/static-file.js';
import type { RouteRequest } from '../../../api/route.js';

// The pages show other people's input (message text, stream names, provider reasons). The
// overview (/admin) carried no Content-Security-Policy at all, though docs/admin-ui.md said the
// pages do: the policy is now a header on every page served, with frame-ancestors (which a
// <meta> cannot carry) so no other site can frame the overview's forms.
describe('static pages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msgxc-static-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(dir, 'app.js'), 'export {};');
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const serve = async (name: string, type: string) =>
    (await staticFile(dir, name, type, 'missing')({} as RouteRequest)) as { headers?: Record<string, string> };

  it('a page carries a policy that runs only its own scripts and cannot be framed', async () => {
    const policy = (await serve('index.html', 'text/html; charset=utf-8')).headers?.['Content-Security-Policy'] ?? '';
    const directives = new Map(
      policy
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([k, ...v]) => [k, v]),
    );
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
  });

  it('a script is served without one', async () => {
    expect((await serve('app.js', 'text/javascript; charset=utf-8')).headers).toEqual({ 'Cache-Control': 'no-cache' });
  });
});
