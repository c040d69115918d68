import * as E from 'fp-ts/lib/Either.js';
import { personal } from '../../delivery/personal.js';
import type { MessageView } from '../../ports/read-models.js';
import { streams } from '../../schema/events.js';
import { asMessageId, MessageId, ThreadId, UserId } from '../../schema/ids.js';
import {
  OnadataMessageBody,
  OnadataTargetType,
  onadataTarget,
  targetIdJson,
  type OnadataMessage,
  type OnadataTarget,
} from '../../schema/onadata.js';
import type { Actor } from '../../schema/metadata.js';
import { isAdmin } from '../auth.js';
import { consistentRead, contextOf, type AppDeps } from '../deps.js';
import { apiError, errors, fromDomainError, type ApiError } from '../errors.js';
import { beforeParam, decode, limitParam, type Route, type RouteRequest } from '../route.js';
import { mayReadMessage } from './message-access.js';

// onadata's messaging API (seed 002) on the broker: POST/GET /api/messaging, GET/DELETE
// /api/messaging/{pk}, also under /api/v1/ as api.ona.io serves it. Targets map as
// schema/onadata.ts says; `id` is the log position of the message's publication (an integer,
// as onadata's). What we do better: listing is checked (only what the caller may read), and
// never cached.
const targetNotFound = apiError(400, 'TargetNotFound', 'target_id not found');
const notFound = (pk: string): ApiError => errors.notFound(`message ${pk.slice(0, 40)} not found`);

/**
 * A message in onadata's shape, as `reader` may see it: the text of their own A/B variant, like
 * the v2 inbox (api/routes/content.ts messageJsonFor); its sender and admins see the base text
 * (onadata's shape has one `message`, no place for the variants).
 */
const asOnadata = (id: number, m: MessageView, reader: Actor): OnadataMessage => ({
  id,
  verb: 'message',
  message: isAdmin(reader) || m.from === reader.uid ? m.msg : personal(m, reader.uid).msg,
  user: m.from,
  timestamp: m.at,
});

/** Who may read a target's messages: the user themself, a thread's members; admins always. */
const mayRead = async (deps: AppDeps, actor: Actor, target: OnadataTarget): Promise<boolean> => {
  if (isAdmin(actor)) return true;
  if (target.kind === 'user') return target.uid === actor.uid;
  const thread = await deps.reads.thread(target.tid);
  if (thread === undefined) return false;
  return thread.owner === actor.uid || (await deps.reads.memberRoles(target.tid, actor.uid)).length > 0;
};

/**
 * The message published at log position `pk`, or the message `pk` names by its message id:
 * the MQTT payload's `id` (docs/mqtt.md) and the `X-Message-Id` header, so a consumer can
 * fetch the message an MQTT publish was about.
 */
const byPosition = async (deps: AppDeps, req: RouteRequest): Promise<{ mid: MessageId } | ApiError> => {
  const raw = req.params['pk'] ?? '';
  if (!/^\d+$/.test(raw) && MessageId.is(raw)) return { mid: raw };
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw)))
    return errors.invalidQuery('pk', 'expected a positive integer (the message `id`) or a message id');
  const pk = Number(raw);
  const [e] = await deps.store.readAll({ after: pk - 1, limit: 1 });
  const data: unknown = e?.data;
  const mid = typeof data === 'object' && data !== null ? (data as { mid?: unknown }).mid : undefined;
  if (e?.position !== pk || e.type !== 'MessagePublished' || typeof mid !== 'string' || !MessageId.is(mid))
    return notFound(raw);
  return { mid };
};

export const onadataRoutes = (deps: AppDeps): Route[] => {
  const create: Route['handler'] = async (req) => {
    const b = decode(OnadataMessageBody, req);
    if (E.isLeft(b)) return b.left;
    const { target_type, target_id, message } = b.right;
    const target = onadataTarget(target_type, target_id);
    if (target.kind === 'thread' && !ThreadId.is(target.tid))
      return errors.invalidBody([`target_id: too long for a ${target_type} id`]);
    const mid = asMessageId(req.newMessageId);
    const ctx = contextOf(req);
    const content = { msg: message, opts: {} };
    let result;
    if (target.kind === 'user') {
      // onadata asked for change permission on the user: the user themself, or an admin.
      if (target.uid !== req.actor.uid && !isAdmin(req.actor))
        return errors.forbidden('only admins may message another user (target_type user)');
      result = await deps.commands.send(ctx, mid, target.uid, content);
    } else {
      result = await deps.commands.publish(ctx, mid, target.tid, content, { claim: false });
    }
    if (E.isLeft(result)) return result.left.code === 'ThreadNotFound' ? targetNotFound : fromDomainError(result.left);
    const [published] = await deps.store.read(streams.message(mid), { limit: 1 });
    if (published === undefined) return fromDomainError({ kind: 'unavailable', code: 'FailedToAppend', msg: 'lost' });
    return {
      status: 201,
      body: {
        id: published.position,
        verb: 'message',
        message,
        user: req.actor.uid,
        timestamp: req.now.toISOString(),
        target_type,
        target_id: targetIdJson(target_id),
      },
      headers: { 'X-Message-Id': mid, 'X-Position': String(result.right.position) },
    };
  };

  const list: Route['handler'] = async (req) => {
    const type = req.query.get('target_type');
    const id = req.query.get('target_id');
    if (type === null || type === '') return errors.invalidQuery('target_type', "Parameter 'target_type' is missing.");
    if (id === null || id === '') return errors.invalidQuery('target_id', "Parameter 'target_id' is missing.");
    if (!OnadataTargetType.is(type))
      return errors.invalidQuery('target_type', `Unknown target_type ${type.slice(0, 20)}`);
    if (!UserId.is(id)) return errors.invalidQuery('target_id', 'not an id');
    const target = onadataTarget(type, id);
    if (target.kind === 'thread' && !ThreadId.is(target.tid)) return errors.invalidQuery('target_id', 'too long');
    const limit = limitParam(new URLSearchParams({ limit: req.query.get('page_size') ?? '' }));
    if (E.isLeft(limit)) return errors.invalidQuery('page_size', 'expected an integer 1..200');
    const before = beforeParam(req.query);
    if (E.isLeft(before)) return before.left;
    const headers = await consistentRead(deps, req);
    const verb = req.query.get('verb');
    // A target the caller may not read answers as one without messages: no existence oracle.
    if ((verb !== null && verb !== 'message') || !(await mayRead(deps, req.actor, target)))
      return { status: 200, body: [], headers };
    const page = await deps.reads.messagesTo(
      target.kind === 'user' ? { kind: 'user', uid: target.uid } : { kind: 'thread', tid: target.tid },
      { limit: limit.right, ...before.right },
      req.now,
    );
    const next = new URLSearchParams({ target_type: type, target_id: id, page_size: String(limit.right) });
    if (page.next !== null) next.set('before', page.next);
    return {
      status: 200,
      body: page.messages.map((m) => asOnadata(m.position, m, req.actor)),
      headers: { ...headers, ...(page.next !== null ? { Link: `<${req.url}?${next.toString()}>; rel="next"` } : {}) },
    };
  };

  const retrieve: Route['handler'] = async (req) => {
    const at = await byPosition(deps, req);
    if ('status' in at) return at;
    const headers = await consistentRead(deps, req);
    const m = await deps.reads.message(at.mid);
    const visible = m !== undefined && m.status === 'published' && (await mayReadMessage(deps, m, req.actor));
    return visible
      ? { status: 200, body: asOnadata(m.position, m, req.actor), headers }
      : notFound(req.params['pk'] ?? '');
  };

  const destroy: Route['handler'] = async (req) => {
    const at = await byPosition(deps, req);
    if ('status' in at) return at;
    const r = await deps.commands.deleteMessage(contextOf(req), at.mid);
    // A message the caller may not see answers as a position holding no message (byPosition):
    // the domain's own MessageNotFound body would tell which positions are messages.
    if (E.isLeft(r))
      return r.left.code === 'MessageNotFound' ? notFound(req.params['pk'] ?? '') : fromDomainError(r.left);
    return { status: 204, body: '', contentType: 'text/plain', headers: { 'X-Position': String(r.right.position) } };
  };

  return ['/api/messaging', '/api/v1/messaging'].flatMap((base): Route[] => [
    {
      method: 'post',
      path: base,
      access: 'user',
      body: true,
      idempotent: true,
      summary: 'onadata: send a message to a user, form or project',
      handler: create,
    },
    { method: 'get', path: base, access: 'user', summary: "onadata: a target's messages, newest first", handler: list },
    { method: 'get', path: `${base}/{pk}`, access: 'user', summary: 'onadata: one message by id', handler: retrieve },
    {
      method: 'delete',
      path: `${base}/{pk}`,
      access: 'user',
      idempotent: true,
      summary: 'onadata: retract a message (sender, admin) or delete it from your inbox',
      handler: destroy,
    },
  ]);
};
