import * as E from 'fp-ts/lib/Either.js';
import { PushReceiptBody } from '../../schema/http.js';
import { verifyReceiptToken, type ReceiptTokenError } from '../../schema/receipt-token.js';
import { answer, type AppDeps } from '../deps.js';
import { apiError, errors } from '../errors.js';
import { decode, type Route } from '../route.js';

// What a browser or a phone needs to take part without a session: the VAPID public key to
// subscribe with, and a receipt route a service worker (or a notification extension) can call
// with the token the push carried (schema/receipt-token.ts). The token names the message, the
// user and the channel; the receipt is recorded as that user's, from that channel, as if they
// had sent it with their session, and for nothing else.
const refusal: Record<ReceiptTokenError, string> = {
  malformed: 'receipt token is malformed',
  forged: 'receipt token signature invalid',
  expired: 'receipt token expired',
};

export const receiptRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/api/v2/webpush/vapid-key',
    access: 'public',
    summary: 'The VAPID public key browsers subscribe to push with (applicationServerKey)',
    handler: () =>
      Promise.resolve(
        deps.vapidPublicKey === undefined
          ? apiError(404, 'WebPushNotConfigured', 'web push has no VAPID key on this broker (MSGXC_VAPID_*)')
          : {
              status: 200,
              body: { publicKey: deps.vapidPublicKey },
              headers: { 'Cache-Control': 'public, max-age=300' },
            },
      ),
  },
  {
    method: 'post',
    path: '/api/v2/receipts/push',
    access: 'public',
    body: true,
    summary: "Record a push's receipt (default `clicked`) with the token its payload carried, without a session",
    handler: async (req) => {
      const b = decode(PushReceiptBody, req);
      if (E.isLeft(b)) return b.left;
      if (deps.receiptKey === undefined)
        return apiError(
          404,
          'ReceiptTokensNotConfigured',
          'this broker signs no receipt tokens (MSGXC_RECEIPT_SECRET)',
        );
      const claims = verifyReceiptToken(deps.receiptKey, b.right.token, req.now.getTime());
      if (E.isLeft(claims)) return errors.unauthorized(refusal[claims.left]);
      const { uid, mid, channel } = claims.right;
      const ctx = { actor: { uid, roles: [] }, now: req.now, correlationId: req.requestId };
      return answer(await deps.commands.acknowledge(ctx, [mid], b.right.status ?? 'clicked', channel));
    },
  },
];
