import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { CommandContext, Commands } from '../../commands/types.js';
import { asMessageId, type MessageId } from '../../schema/ids.js';
import { BroadcastBody, CancelBody, MulticastBody, PublishBody, SendBody, namesAudience } from '../../schema/http.js';
import { byAudience } from './audience.js';
import { answer, contextOf, created, type AppDeps } from '../deps.js';
import { decode, type Route } from '../route.js';
import { contentOf } from './content.js';

type Content = Parameters<typeof contentOf>[0];

// Decode the body, run the message-creating command with the request's reserved id, answer
// `true` with the id in X-Message-Id. The four seed routes differ only in codec and command.
const creating =
  <B extends Content>(
    codec: t.Decoder<unknown, B>,
    run: (ctx: CommandContext, mid: MessageId, body: B) => ReturnType<Commands['send']>,
  ): Route['handler'] =>
  async (req) => {
    const b = decode(codec, req);
    if (E.isLeft(b)) return b.left;
    const mid = asMessageId(req.newMessageId);
    return answer(await run(contextOf(req), mid, b.right), created(mid));
  };

export const messageRoutes = (deps: AppDeps): Route[] => {
  const { commands } = deps;
  const publish = creating(PublishBody, (ctx, mid, b) => commands.publish(ctx, mid, b.tid, contentOf(b)));
  const send = creating(SendBody, (ctx, mid, b) => commands.send(ctx, mid, b.uid, contentOf(b)));
  const audience = byAudience(deps);
  const plainMulticast = creating(MulticastBody, (ctx, mid, b) => commands.multicast(ctx, mid, b.uids, contentOf(b)));
  const plainBroadcast = creating(BroadcastBody, (ctx, mid, b) => commands.broadcast(ctx, mid, contentOf(b)));
  // `{"segment"}` / `{"query"}` name the audience instead (routes/audience.ts).
  const multicast: Route['handler'] = (req) => (namesAudience(req.body) ? audience(req) : plainMulticast(req));
  const broadcast: Route['handler'] = (req) => (namesAudience(req.body) ? audience(req) : plainBroadcast(req));
  const cancel: Route['handler'] = async (req) => {
    const b = decode(CancelBody, req);
    if (E.isLeft(b)) return b.left;
    return answer(await commands.cancel(contextOf(req), b.right.mid, b.right.tid));
  };
  const common = { body: true, idempotent: true } as const;
  return [
    {
      method: 'post',
      path: '/api/v2/publish',
      access: 'user',
      ...common,
      summary: 'Publish a message to a thread (creates a private thread if unknown)',
      handler: publish,
    },
    {
      method: 'post',
      path: '/api/v2/send',
      access: 'admin',
      ...common,
      summary: 'Send a message to one user',
      handler: send,
    },
    {
      method: 'post',
      path: '/api/v2/multicast',
      access: 'admin',
      ...common,
      summary: 'Send a message to a list of users, or to a segment or query resolved once (docs/audiences.md)',
      handler: multicast,
    },
    {
      method: 'post',
      path: '/api/v2/broadcast',
      access: 'admin',
      ...common,
      summary: 'Send a message to every user the broker knows, or to a segment or query (docs/audiences.md)',
      handler: broadcast,
    },
    {
      method: 'post',
      path: '/api/v2/cancel',
      access: 'user',
      ...common,
      summary: 'Cancel a scheduled message before it is due (sender or admin)',
      handler: cancel,
    },
    {
      method: 'post',
      path: '/api/v1/send',
      access: 'user',
      ...common,
      summary: 'v1: send a message to one user (any valid token)',
      handler: send,
    },
    {
      method: 'post',
      path: '/api/v1/multicast',
      access: 'admin',
      ...common,
      summary: 'v1: multicast',
      // v1 bodies naming a segment or query are served as in v2 rather than ignored.
      handler: multicast,
    },
    {
      method: 'post',
      path: '/api/v1/broadcast',
      access: 'admin',
      ...common,
      summary: 'v1: broadcast',
      handler: broadcast,
    },
  ];
};
