import { ADMIN_UI_FILES } from '../../schema/openapi-admin-ui.js';
import type { AppDeps } from '../deps.js';
import type { Route } from '../route.js';
import { staticFile } from '../static-file.js';

// The admin UI's pages beyond the overview (web/admin/): the message explorer, the audit
// stream browser and the analytics charts, with their scripts and style. Public like /admin:
// the files hold no data; each page calls the JSON routes with the token it is given, and
// those routes decide (analyst, auditor, admin) exactly as for any other caller.
export const adminUiRoutes = (deps: AppDeps): Route[] =>
  ADMIN_UI_FILES.map((f) => ({
    method: 'get',
    path: f.path,
    access: 'public',
    summary: f.summary,
    handler: staticFile(deps.adminUiDir, f.file, f.contentType, 'admin UI files are not installed'),
  }));
