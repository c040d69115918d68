import * as E from 'fp-ts/lib/Either.js';
import type { MessageContent } from '../../commands/types.js';
import { asMessageId, asUserId, UserId } from '../../schema/ids.js';
import { NotifyBody, notificationOpts, type NotifyBody as Body } from '../../schema/notify.js';
import { answer, contextOf, created, type AppDeps } from '../deps.js';
import { errors, fromDomainError } from '../errors.js';
import { decode, type Route, type RouteRequest } from '../route.js';

// webservice-notification's `POST /notify` (seed 003): one stored notification per listed user
// (a multicast: each user's inbox), live on the websocket to those online. Its email flags
// map onto triage as it is (README, "webservice-notification"): `email_send` gives a user
// without an email address on file the one the request names, so that triage emails them
// when they are offline (at once when they have no push device); `email_force` makes the
// notification urgent, which sends every allowed channel at once, email included. The email
// fields are kept in the message (`opts.email`) for the email template.
//
// Server side only, as the seed requires: an admin (service) token, no CORS grant, no
// preflight, so no browser page can post one even on an allowed origin.
const emailOf = (b: Body): Record<string, string> =>
  Object.fromEntries(
    (
      [
        ['subject', b.email_subject],
        ['content', b.email_content],
        ['mime', b.email_mime],
        ['type', b.email_type],
      ] as const
    ).flatMap(([k, v]) => (v !== undefined ? [[k, v]] : [])),
  );

/** Gives each listed user with no email on file the address the request names (email_send). */
const fileEmails = async (deps: AppDeps, req: RouteRequest, b: Body): Promise<void> => {
  const given = b.users.flatMap((u) =>
    typeof u.email === 'string' ? [[asUserId(String(u.id)), u.email] as const] : [],
  );
  for (let i = 0; i < given.length; i += 32) {
    await Promise.all(
      given.slice(i, i + 32).map(async ([uid, email]) => {
        const p = await deps.commands.loadProfile(uid);
        if (E.isRight(p) && p.right.email === null) await deps.commands.changeProfile(contextOf(req), uid, { email });
      }),
    );
  }
};

export const notifyRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'post',
    path: '/notify',
    access: 'admin',
    body: true,
    form: true,
    serverOnly: true,
    idempotent: true,
    summary: 'webservice-notification: notify users (server side only: an admin token; form or JSON body)',
    handler: async (req) => {
      const b = decode(NotifyBody, req);
      if (E.isLeft(b)) return b.left;
      const ids = [...new Set(b.right.users.map((u) => String(u.id)))];
      const bad = ids.find((id) => !UserId.is(id));
      if (bad !== undefined) return errors.invalidBody([`users: ${bad.slice(0, 20)} is not a user id`]);
      if (b.right.email_send === true) await fileEmails(deps, req, b.right);
      const email = emailOf(b.right);
      const subject = b.right.email_subject ?? b.right.title;
      const content: MessageContent = {
        msg: b.right.content,
        opts: {
          ...notificationOpts(b.right),
          ...(Object.keys(email).length > 0 ? { email } : {}),
          ...(b.right.email_force === true ? { urgency: 4 } : {}),
        },
        ...(subject !== undefined && subject !== '' ? { subject } : {}),
      };
      const mid = asMessageId(req.newMessageId);
      const r = await deps.commands.multicast(contextOf(req), mid, ids.map(asUserId), content);
      return E.isLeft(r) ? fromDomainError(r.left) : answer(r, created(mid));
    },
  },
];
