import { str } from './openapi-schemas.js';
import type { Operations } from './openapi-types.js';

// The admin UI's files beyond /admin, /admin/app.js and /admin/manage.js: one list for the
// routes (api/routes/admin-ui.ts) and the OpenAPI document, so neither can drift alone.
export interface AdminUiFile {
  readonly path: string;
  readonly file: string;
  readonly contentType: string;
  readonly summary: string;
}

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const page = (name: string, summary: string): AdminUiFile => ({
  path: `/admin/${name}`,
  file: `${name}.html`,
  contentType: HTML,
  summary,
});
const script = (name: string, summary: string): AdminUiFile => ({
  path: `/admin/${name}.js`,
  file: `${name}.js`,
  contentType: JS,
  summary,
});

export const ADMIN_UI_FILES: readonly AdminUiFile[] = [
  page('messages', 'Admin UI: message explorer (search, then explain per recipient)'),
  page('audit', 'Admin UI: audit stream browser (streams, filtered events, metadata, chain check)'),
  page('analytics', 'Admin UI: analytics charts (volume per window, outcomes, failure reasons)'),
  script('common', 'Admin UI script: token, JSON calls, DOM helpers'),
  script('charts', 'Admin UI script: SVG bar and line charts'),
  script('messages', 'Admin UI script: message explorer'),
  script('timeline', "Admin UI script: a recipient's explain timeline"),
  script('audit', 'Admin UI script: audit stream browser'),
  script('chain', "Admin UI script: checks a stream's hash-chain links"),
  script('analytics', 'Admin UI script: analytics charts'),
  script('sources', "Admin UI script: the analytics charts' data"),
  { path: '/admin/ui.css', file: 'ui.css', contentType: 'text/css; charset=utf-8', summary: "Admin UI pages' style" },
];

export const adminUiOperations: Operations = Object.fromEntries(
  ADMIN_UI_FILES.map((f) => {
    const type = f.contentType.split(';')[0] ?? f.contentType;
    return [
      f.path,
      {
        get: { access: 'public', summary: f.summary, ok: { description: type, content: { [type]: { schema: str } } } },
      },
    ];
  }),
);
