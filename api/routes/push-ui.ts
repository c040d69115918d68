import type { AppDeps } from '../deps.js';
import { staticFile } from '../static-file.js';
import type { Route } from '../route.js';

// The browser push page (web/push/): a page that subscribes to web push and enlists, and the
// service worker that shows each push and posts its click receipt. All public: they hold no
// data; enlisting needs the user's token, the receipt the token the push itself carried.
// The worker's default scope is /push/ (the folder of its script), which is all it needs: a
// push reaches its registration whichever page is open, or none.
const file = (deps: AppDeps, name: string, contentType: string): Route['handler'] =>
  staticFile(deps.pushUiDir, name, contentType, 'browser push page files are not installed');

export const pushUiRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/push',
    access: 'public',
    summary: 'The browser push page: subscribe to web push and enlist (needs a user token)',
    handler: file(deps, 'index.html', 'text/html; charset=utf-8'),
  },
  {
    method: 'get',
    path: '/push/app.js',
    access: 'public',
    summary: "The push page's script: register the worker, subscribe, enlist",
    handler: file(deps, 'app.js', 'text/javascript; charset=utf-8'),
  },
  {
    method: 'get',
    path: '/push/sw.js',
    access: 'public',
    summary: 'The service worker: a notification per push, the click receipt (POST /api/v2/receipts/push)',
    handler: file(deps, 'sw.js', 'text/javascript; charset=utf-8'),
  },
];
