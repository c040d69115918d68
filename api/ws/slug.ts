import type { FrameId } from '../../schema/frames.js';

// msgxc's websocket frames (seed 004, xcs): the client sent `{slug: "/ping"}` or
// `{slug: "/api/v2/subscribe/thread", tid (or thread), jwt}` and read `{slug, data}` back, or
// `{error: {code, msg}}`. They are accepted as aliases: a slug frame becomes one of ours whose
// `id` carries the slug (behind a marker), and its answers, which echo the id, are wrapped
// back into msgxc's shape by the session. The `jwt` field is ignored: the session was
// authenticated at the upgrade, and a frame cannot change who it is.
const MARK = '\u0000slug:';
const ACCEPTED = '/ping, /api/v2/subscribe/thread, /api/v2/unsubscribe/thread';

export type SlugFrame =
  | { readonly kind: 'frame'; readonly frame: Record<string, unknown> }
  | { readonly kind: 'refused'; readonly msg: string; readonly id: string };

/** A client frame of ours for a msgxc slug frame, or why not; undefined when `raw` has no slug. */
export const fromSlugFrame = (raw: unknown): SlugFrame | undefined => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || 'type' in raw || !('slug' in raw))
    return undefined;
  const r = raw as Record<string, unknown>;
  const slug = r['slug'];
  if (typeof slug !== 'string' || slug.length > 56)
    return { kind: 'refused', msg: 'slug: expected a string of at most 56 characters', id: `${MARK}?` };
  const id = `${MARK}${slug}`;
  if (slug.endsWith('/ping')) return { kind: 'frame', frame: { type: 'ping', id } };
  const verb = /\/(un)?subscribe\/thread$/.exec(slug);
  if (verb === null) return { kind: 'refused', msg: `unknown slug ${JSON.stringify(slug)}; accepted: ${ACCEPTED}`, id };
  const type = verb[1] === undefined ? 'subscribe' : 'unsubscribe';
  return { kind: 'frame', frame: { type, tid: r['tid'] ?? r['thread'], id } };
};

/** The slug an answer's id carries, if it answers a msgxc slug frame. */
export const slugOf = (id: FrameId | undefined): string | undefined =>
  typeof id === 'string' && id.startsWith(MARK) ? id.slice(MARK.length) : undefined;

/** An answer of ours in msgxc's shape (its `id` dropped: the slug says what it answers). */
export const toSlugFrame = (slug: string, frame: Record<string, unknown>): Record<string, unknown> => {
  const data = Object.fromEntries(Object.entries(frame).filter(([k]) => k !== 'id'));
  if (data['type'] === 'error') return { error: { code: data['code'], msg: data['msg'] } };
  if (data['type'] === 'subscribed' || data['type'] === 'unsubscribed')
    return { slug, data: { slug: `/thread/${String(data['tid'])}`, ok: true, action: data['type'] } };
  return { slug, data };
};
