import * as E from 'fp-ts/lib/Either.js';
import type { CommandContext, CommandResult, Commands } from '../../commands/types.js';
import type { ReadModels } from '../../ports/read-models.js';
import { isValidCursor } from '../../projections/paging.js';
import { describeErrors } from '../../schema/errors.js';
import { CLIENT_FRAME_TYPES, ClientFrame, FrameId as FrameIdC, type FrameId } from '../../schema/frames.js';
import { parseJson, preview } from '../../schema/json.js';
import { fromDomainError } from '../errors.js';
import { isAdmin } from '../auth.js';
import { listedFor } from './catch-up.js';
import type { Fanout } from './fanout.js';
import { withId, type Session } from './session.js';
import { fromSlugFrame } from './slug.js';
import { fromWsnFrame } from './wsn.js';

// Client frames: decode, turn into a command (or a read), answer. Every change of state is a
// command producing events, exactly as over HTTP, so receipts and markers are in the log and
// reach the user's other sessions through the live publisher.
export interface ProtocolDeps {
  readonly commands: Commands;
  readonly reads: ReadModels;
  readonly fanout: Fanout;
  readonly now: () => Date;
  /** Verifies an `auth` frame's token; see realtime.ts. */
  readonly reauth: (s: Session, token: string, id: FrameId | undefined) => Promise<void>;
  readonly unseenLimit: number;
  /** Waits (briefly) until the read models have caught up with the log: reads see every earlier write, as over HTTP. */
  readonly consistent: () => Promise<void>;
}

const error = (s: Session, code: string, msg: string, id?: FrameId): void => {
  s.send(withId({ type: 'error' as const, code, msg }, id));
};

const idOf = (raw: unknown): FrameId | undefined => {
  if (typeof raw !== 'object' || raw === null || !('id' in raw)) return undefined;
  // Echoed only when it is a valid id (short string, safe integer): never a client's megabyte.
  return FrameIdC.is(raw.id) ? raw.id : undefined;
};

/**
 * Parses and decodes one frame; answers an `error` frame (and returns undefined) when it does
 * not decode. Nesting is bounded before parsing, and error messages describe bad values with
 * bounded summaries, so no frame can make this recurse without end or answer with megabytes.
 */
export const decodeFrame = (s: Session, text: string, maxDepth: number): ClientFrame | undefined => {
  const parsed = parseJson(text, maxDepth);
  if (!parsed.ok) {
    if (parsed.tooDeep) error(s, 'JsonTooDeep', `frame nests deeper than ${maxDepth} levels (MSGXC_JSON_MAX_DEPTH)`);
    else error(s, 'MalformedJson', `frame is not valid JSON: ${parsed.detail}`);
    return undefined;
  }
  if (s.compat === 'wsn') {
    const w = fromWsnFrame(parsed.value, (ids) => s.rememberWsn(ids));
    if (w.kind === 'refused') {
      error(s, 'UnknownFrame', w.msg);
      return undefined;
    }
    const d = ClientFrame.decode(w.frame);
    if (E.isLeft(d)) {
      // Answered with the frame's own id: the answer takes this frame's pending ids, and only
      // these (other seen/delete frames may still be running and need theirs).
      error(s, 'InvalidFrame', describeErrors(d.left).join('; '), idOf(w.frame));
      return undefined;
    }
    return d.right;
  }
  const slugged = fromSlugFrame(parsed.value);
  if (slugged?.kind === 'refused') {
    error(s, 'UnknownFrame', slugged.msg, slugged.id);
    return undefined;
  }
  const raw = slugged?.frame ?? parsed.value;
  const type = typeof raw === 'object' && raw !== null && 'type' in raw ? raw.type : undefined;
  const id = idOf(raw);
  if (typeof type !== 'string' || !CLIENT_FRAME_TYPES.includes(type)) {
    // A frame that is no object, or has no type, is told what a frame is, not "type nothing".
    const what =
      typeof raw !== 'object' || raw === null || Array.isArray(raw)
        ? `a frame is a JSON object with a "type" (got ${preview(raw, 40)})`
        : type === undefined
          ? 'a frame needs a "type"'
          : `unknown frame type ${preview(type, 40)}`;
    error(s, 'UnknownFrame', `${what}; expected one of ${CLIENT_FRAME_TYPES.join(', ')}`, id);
    return undefined;
  }
  const decoded = ClientFrame.types.find((c) => c.name === type)?.decode(raw) ?? ClientFrame.decode(raw);
  if (E.isLeft(decoded)) {
    error(s, 'InvalidFrame', describeErrors(decoded.left).join('; '), id);
    return undefined;
  }
  return decoded.right;
};

const contextOf = (s: Session, now: Date): CommandContext => ({
  actor: { uid: s.uid, roles: [...s.roles] },
  now,
  correlationId: s.nextCorrelation(),
});

const answer = (s: Session, id: FrameId | undefined, result: Awaited<CommandResult>, onOk?: () => void): void => {
  if (E.isLeft(result)) {
    const e = fromDomainError(result.left);
    error(s, e.code, e.msg, id);
  } else if (onOk !== undefined) onOk();
  else s.send(withId({ type: 'ok' as const, position: result.right.position }, id));
};

export const handleFrame = async (s: Session, f: ClientFrame, deps: ProtocolDeps): Promise<void> => {
  const { commands, reads } = deps;
  const now = deps.now();
  switch (f.type) {
    case 'ping':
      s.send(withId({ type: 'pong' as const }, f.id));
      return;
    case 'ack':
      answer(s, f.id, await commands.acknowledge(contextOf(s, now), f.mids, f.status ?? 'delivered', 'websocket'));
      return;
    case 'seen':
      answer(s, f.id, await commands.acknowledge(contextOf(s, now), f.mids, 'seen', 'websocket'));
      return;
    case 'read':
      answer(s, f.id, await commands.markRead(contextOf(s, now), f.mid, f.tid));
      return;
    case 'delete':
      answer(s, f.id, await commands.deleteFromInbox(contextOf(s, now), f.mids));
      return;
    case 'subscribe': {
      const r = await commands.subscribe(contextOf(s, now), f.tid);
      // Joined at once: the membership change on the bus arrives later and finds it done.
      answer(s, f.id, r, () => {
        deps.fanout.changed(s, 'join', f.tid, f.id);
      });
      return;
    }
    case 'unsubscribe': {
      const r = await commands.unsubscribe(contextOf(s, now), f.tid);
      answer(s, f.id, r, () => {
        deps.fanout.changed(s, 'leave', f.tid, f.id);
      });
      return;
    }
    case 'unseen': {
      if (f.before !== undefined && !isValidCursor(f.before)) {
        error(s, 'InvalidCursor', 'before: not a cursor returned as `next`', f.id);
        return;
      }
      await deps.consistent();
      const page = await reads.inbox(
        s.uid,
        { limit: f.limit ?? deps.unseenLimit, unseen: true, ...(f.before !== undefined ? { before: f.before } : {}) },
        now,
      );
      s.send(withId({ type: 'unseen' as const, messages: page.messages.map(listedFor(s.uid)), next: page.next }, f.id));
      return;
    }
    case 'history': {
      if (f.before !== undefined && !isValidCursor(f.before)) {
        error(s, 'InvalidCursor', 'before: not a cursor returned as `next`', f.id);
        return;
      }
      await deps.consistent();
      const page = { limit: f.limit ?? 50, ...(f.before !== undefined ? { before: f.before } : {}) };
      if (f.tid === undefined) {
        const p = await reads.inbox(s.uid, page, now);
        s.send(withId({ type: 'history' as const, messages: p.messages.map(listedFor(s.uid)), next: p.next }, f.id));
        return;
      }
      // The same rule as GET /api/v2/threads/{tid}/messages: members, the owner and admins.
      const thread = await reads.thread(f.tid);
      const roles = thread === undefined ? [] : await reads.memberRoles(f.tid, s.uid);
      if (
        thread === undefined ||
        (roles.length === 0 && thread.owner !== s.uid && !isAdmin({ uid: s.uid, roles: [...s.roles] }))
      ) {
        error(s, 'NotFound', `thread ${f.tid} not found`, f.id);
        return;
      }
      const p = await reads.threadMessages(f.tid, page, now);
      s.send(
        withId(
          { type: 'history' as const, tid: f.tid, messages: p.messages.map(listedFor(s.uid)), next: p.next },
          f.id,
        ),
      );
      return;
    }
    case 'auth':
      await deps.reauth(s, f.token, f.id);
      return;
    default: {
      const unhandled: never = f;
      return unhandled;
    }
  }
};
