import { readFile } from 'node:fs/promises';
import { PROTOCOL_VERSION } from '../../schema/frames.js';
import { UserId } from '../../schema/ids.js';
import { errors } from '../errors.js';
import type { Route } from '../route.js';
import type { Presence } from './presence.js';

// HTTP routes of the realtime side: presence for admins (what the triage step asks), and the
// compiled client library for browsers (`<script type="module">import ... from '/api/v2/client.js'`).
export interface RealtimeHttp {
  readonly presence?: Presence;
}

// The build emits web/client/client.js next to this module's tree (dist/web/client/).
const CLIENT_JS = new URL('../../web/client/client.js', import.meta.url);
let clientSource: Promise<string> | undefined;

export const realtimeRoutes = (rt: RealtimeHttp): Route[] => [
  {
    method: 'get',
    path: '/api/v2/presence/{uid}',
    access: 'admin',
    summary: 'Is a user online now, on how many websocket sessions and nodes',
    handler: (req) => {
      const uid = req.params['uid'] ?? '';
      if (!UserId.is(uid)) return Promise.resolve(errors.invalidQuery('uid', 'not a user id'));
      const p = rt.presence;
      if (p === undefined) return Promise.resolve(errors.notReady('realtime is not running'));
      return Promise.resolve({
        status: 200,
        body: { uid, online: p.isOnline(uid), sessions: p.sessions(uid), nodes: p.nodes(uid) },
      });
    },
  },
  {
    method: 'get',
    path: '/api/v2/client.js',
    access: 'public',
    summary: `The websocket client library (ES module, protocol ${PROTOCOL_VERSION})`,
    handler: async () => {
      clientSource ??= readFile(CLIENT_JS, 'utf8');
      try {
        return {
          status: 200,
          body: await clientSource,
          contentType: 'text/javascript; charset=utf-8',
          headers: { 'Cache-Control': 'public, max-age=300' },
        };
      } catch {
        clientSource = undefined;
        return errors.notFound('client.js is not built (npm run build)');
      }
    },
  },
];
