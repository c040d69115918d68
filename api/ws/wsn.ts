import type { FrameId } from '../../schema/frames.js';

// webservice-notification's socket protocol (seed 003; its SockJS client and server), as a
// mode of the one websocket endpoint (`/api/v2/ws?compat=webservice-notification`). Client
// frames `{name, data}`: `join` and `unseen` (the unseen notifications), `content {page}`
// (a page of all, newest first), `seen {ids}`, `delete {ids}`. Server frames `{name, data}`
// with `data` a JSON string of a list, as its server wrote them: `notification` (new ones,
// and the answers to unseen/content), `seen`, `delete`, which reach every session of the user
// (theirs echoed to one socket only). `join`'s login and password are ignored: the session
// was authenticated at the upgrade with the user's JWT.
const MARK = '\u0000wsn:';
/** The seed server's page size (its config.ini `limit`). */
export const WSN_PAGE = 20;
const MAX_PAGE = 9; // pages are read as one history request of (page + 1) * 20 <= 200 messages

export type WsnIn =
  | { readonly kind: 'frame'; readonly frame: Record<string, unknown> }
  | { readonly kind: 'refused'; readonly msg: string };

const idsOf = (data: unknown): unknown =>
  typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>)['ids'] : data;

// A page is an integer or its digits in a string, as the seed's Python read it with int():
// Number() would also make true page 1, and null, [], "" or " " page 0.
const pageOf = (v: unknown): number =>
  typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d{1,3}\s*$/.test(v) ? Number(v) : Number.NaN;

/** Our client frame for one of theirs; `remember` keeps the ids a seen/delete answer names. */
export const fromWsnFrame = (raw: unknown, remember: (ids: unknown) => string): WsnIn => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { kind: 'refused', msg: 'expected {name, data}' };
  const { name, data } = raw as Record<string, unknown>;
  switch (name) {
    case 'join':
    case 'unseen':
      return { kind: 'frame', frame: { type: 'unseen', id: `${MARK}n` } };
    case 'content': {
      const page = pageOf(typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['page'] : data);
      if (!Number.isInteger(page) || page < 0 || page > MAX_PAGE)
        return { kind: 'refused', msg: `content: page must be an integer 0..${MAX_PAGE}` };
      return { kind: 'frame', frame: { type: 'history', limit: (page + 1) * WSN_PAGE, id: `${MARK}c:${page}` } };
    }
    case 'seen':
    case 'delete': {
      const mids = idsOf(data);
      return {
        kind: 'frame',
        frame: { type: name, mids, id: `${MARK}${name === 'seen' ? 's' : 'd'}:${remember(mids)}` },
      };
    }
    default:
      return {
        kind: 'refused',
        msg: `unknown name ${JSON.stringify(String(name).slice(0, 40))}; expected join, unseen, content, seen, delete`,
      };
  }
};

const out = (name: string, list: unknown[]): string => JSON.stringify({ name, data: JSON.stringify(list) });

const notification = (m: Record<string, unknown>): Record<string, unknown> => {
  const opts = (typeof m['opts'] === 'object' && m['opts'] !== null ? m['opts'] : {}) as Record<string, unknown>;
  const pick = (k: string) => (opts[k] !== undefined ? { [k]: opts[k] } : {});
  return {
    _id: m['mid'],
    ...pick('type'),
    ...pick('title'),
    content: m['msg'],
    ...pick('url'),
    ...pick('icon'),
    ...pick('image'),
    from: m['from'],
    created: m['at'],
    seen: m['seen'] === true,
  };
};

/**
 * One of our server frames in their shape, or undefined when theirs has no such frame (hello,
 * pong, thread membership). `recall` gives back the ids a seen/delete answer was about.
 */
export const toWsnFrame = (frame: Record<string, unknown>, recall: (key: string) => unknown): string | undefined => {
  const id: FrameId | undefined = frame['id'] as FrameId | undefined;
  const tag = typeof id === 'string' && id.startsWith(MARK) ? id.slice(MARK.length) : '';
  const list = (k: string): unknown[] => (Array.isArray(frame[k]) ? (frame[k] as unknown[]) : []);
  switch (frame['type']) {
    case 'message':
      return out('notification', [notification(frame)]);
    case 'unseen':
      return out(
        'notification',
        list('messages').map((m) => notification(m as Record<string, unknown>)),
      );
    case 'history': {
      const page = Number(tag.startsWith('c:') ? tag.slice(2) : 0);
      const slice = list('messages').slice(page * WSN_PAGE, (page + 1) * WSN_PAGE);
      return out(
        'notification',
        slice.map((m) => notification(m as Record<string, unknown>)),
      );
    }
    case 'seen':
      return out('seen', list('mids'));
    case 'deleted':
      return out('delete', list('mids'));
    case 'ok': {
      const ids = recall(tag.slice(2));
      const idList = Array.isArray(ids) ? (ids as unknown[]) : [];
      if (tag.startsWith('s:')) return out('seen', idList);
      if (tag.startsWith('d:')) return out('delete', idList);
      return undefined;
    }
    case 'error':
      // A refused seen/delete (invalid, rate-limited, failed) is answered too: its ids are done with.
      if (tag.startsWith('s:') || tag.startsWith('d:')) recall(tag.slice(2));
      return JSON.stringify({ name: 'error', data: JSON.stringify({ code: frame['code'], msg: frame['msg'] }) });
    default:
      return undefined;
  }
};
