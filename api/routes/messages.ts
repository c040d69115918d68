import * as E from 'fp-ts/lib/Either.js';
import { asMessageId } from '../../schema/ids.js';
import { BroadcastBody, CancelBody, MulticastBody, PublishBody, SendBody } from '../../schema/http.js';
import { answer, contextOf, created, type AppDeps } from '../deps.js';
import { decode, type Route } from '../route.js';
import { contentOf } from './content.js';

// Seed routes that create messages. Each answers `true` with the new id in X-Message-Id.
export const messageRoutes = (deps: AppDeps): Route[] => {
  const { commands } = deps;
  const publish: Route['handler'] = async (req) => {
    const b = decode(PublishBody, req.body);
    if (E.isLeft(b)) return b.left;
    const mid = asMessageId(req.newMessageId);
    return answer(await commands.publish(contextOf(req), mid, b.right.tid, contentOf(b.right)), created(mid));
  };
  const send: Route['handler'] = async (req) => {
    const b = decode(SendBody, req.body);
    if (E.isLeft(b)) return b.left;
    const mid = asMessageId(req.newMessageId);
    return answer(await commands.send(contextOf(req), mid, b.right.uid, contentOf(b.right)), created(mid));
  };
  const multicast: Route['handler'] = async (req) => {
    const b = decode(MulticastBody, req.body);
    if (E.isLeft(b)) return b.left;
    const mid = asMessageId(req.newMessageId);
    return answer(await commands.multicast(contextOf(req), mid, b.right.uids, contentOf(b.right)), created(mid));
  };
  const broadcast: Route['handler'] = async (req) => {
    const b = decode(BroadcastBody, req.body);
    if (E.isLeft(b)) return b.left;
    const mid = asMessageId(req.newMessageId);
    return answer(await commands.broadcast(contextOf(req), mid, contentOf(b.right)), created(mid));
  };
  const cancel: Route['handler'] = async (req) => {
    const b = decode(CancelBody, req.body);
    if (E.isLeft(b)) return b.left;
    return answer(await commands.cancel(contextOf(req), b.right.mid, b.right.tid));
  };
  const common = { body: true, idempotent: true } as const;
  return [
    { method: 'post', path: '/api/v2/publish', access: 'user', ...common, summary: 'Publish a message to a thread (creates a private thread if unknown)', handler: publish },
    { method: 'post', path: '/api/v2/send', access: 'admin', ...common, summary: 'Send a message to one user', handler: send },
    { method: 'post', path: '/api/v2/multicast', access: 'admin', ...common, summary: 'Send a message to a list of users', handler: multicast },
    { method: 'post', path: '/api/v2/broadcast', access: 'admin', ...common, summary: 'Send a message to every user the broker knows', handler: broadcast },
    { method: 'post', path: '/api/v2/cancel', access: 'user', ...common, summary: 'Cancel a scheduled message before it is due (sender or admin)', handler: cancel },
    { method: 'post', path: '/api/v1/send', access: 'user', ...common, summary: 'v1: send a message to one user (any valid token)', handler: send },
    { method: 'post', path: '/api/v1/multicast', access: 'admin', ...common, summary: 'v1: multicast', handler: multicast },
    { method: 'post', path: '/api/v1/broadcast', access: 'admin', ...common, summary: 'v1: broadcast', handler: broadcast },
  ];
};
