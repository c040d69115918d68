import type { ChannelKind } from '../../ports/channel.js';
import type { OutboxQuery } from '../../ports/outbox.js';
import { isIdLike } from '../../schema/ids.js';
import type { AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import { limitParam, type Route } from '../route.js';
import * as E from 'fp-ts/lib/Either.js';

// What the outbox channels recorded instead of sending (providers without credentials),
// newest first, paged with `before` = the previous page's `next`; `channel` and `mid` filter.
const KINDS: readonly ChannelKind[] = ['webpush', 'fcm', 'apns', 'email', 'sms', 'mqtt'];
const isKind = (s: string): s is ChannelKind => (KINDS as readonly string[]).includes(s);

export const outboxRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/api/v2/outbox',
    access: 'admin',
    summary: 'What the broker would have sent through providers without credentials (admin)',
    handler: async (req) => {
      if (deps.outbox === undefined) return errors.notFound('this broker has no outbox');
      // `?channel=email&channel=sms` listed email only, and a misspelt filter listed everything.
      const limit = limitParam(req.query, 50, 200);
      if (E.isLeft(limit)) return limit.left;
      const q: { -readonly [K in keyof OutboxQuery]: OutboxQuery[K] } = { limit: limit.right };
      const before = req.query.get('before');
      if (before !== null && before !== '') {
        if (!/^\d+$/.test(before)) return errors.invalidQuery('before', 'expected the `next` of a previous page');
        q.before = Number(before);
      }
      const channel = req.query.get('channel');
      if (channel !== null && channel !== '') {
        if (!isKind(channel)) return errors.invalidQuery('channel', `expected one of ${KINDS.join(', ')}`);
        q.channel = channel;
      }
      const mid = req.query.get('mid');
      if (mid !== null && mid !== '') {
        if (!isIdLike(mid)) return errors.invalidQuery('mid', 'not a message id');
        q.mid = mid;
      }
      const page = await deps.outbox.page(q);
      return { status: 200, body: { entries: page.entries, next: page.next } };
    },
  },
];
