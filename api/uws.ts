import { createRequire } from 'node:module';
import type * as Uws from '@trufflesuite/uws-js-unofficial';
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';

// The npm republish of uWebSockets.js silently falls back to a pure-JS server on `ws` when its
// native binary does not load (wrong Node ABI). That server is several times slower, so the
// broker refuses to run on it unless the operator explicitly allows it.
const require = createRequire(import.meta.url);

export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  us_listen_socket,
} from '@trufflesuite/uws-js-unofficial';

export interface LoadedUws {
  readonly uws: typeof Uws;
  readonly native: boolean;
}

export const loadUws = (allowFallback: boolean): LoadedUws => {
  const binary = `@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  let native = true;
  try {
    require.resolve(binary);
  } catch {
    native = false;
  }
  const uws = require('@trufflesuite/uws-js-unofficial') as typeof Uws;
  // The native module is a plain addon object; the fallback is the package's JS `dist/index`.
  if (native && uws === require('@trufflesuite/uws-js-unofficial/dist/index')) native = false;
  if (!native && !allowFallback) {
    throw new Error(
      `uWebSockets.js native binary did not load for Node ${process.version} (ABI ${process.versions.modules}, ${process.platform}-${process.arch}); ` +
        'msgxc needs Node 20 on linux/darwin x64/arm64. Set MSGXC_ALLOW_UWS_FALLBACK=true to run on the slow pure-JS fallback anyway.',
    );
  }
  return { uws, native };
};

/**
 * Closes the app's listen sockets and every connection it holds, idle keep-alive ones included
 * (the native `App.close()`, missing from this release's typings). A worker thread must do this
 * before it ends: Node aborts the whole process when a worker's loop closes with uWS sockets
 * still open, and closing the listen socket leaves the keep-alive connections open.
 */
export const closeApp = (app: TemplatedApp): void => {
  const close = (app as TemplatedApp & { close?: () => void }).close;
  if (typeof close === 'function') close.call(app);
};
