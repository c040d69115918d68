import { forRecipient } from '../domain/variants.js';
import type { JsonObject } from '../schema/json.js';

// A message as one recipient sees it (A/B variants, docs/campaigns.md), for the readers outside
// delivery/ that hand messages to users: the inbox routes and the websocket sessions.

export const personal = <M extends { readonly mid: string; readonly msg: string; readonly opts: JsonObject }>(
  m: M,
  uid: string,
): M => forRecipient(m, m.mid, uid);

/**
 * A live message frame (JSON text) rewritten for `uid`; anything that is not a message frame
 * with variants is returned as it is. Only frames whose envelope says `v` come here.
 */
export const personalFrame = (frame: string, uid: string): string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(frame);
  } catch {
    return frame;
  }
  if (typeof parsed !== 'object' || parsed === null || !('mid' in parsed) || !('msg' in parsed) || !('opts' in parsed))
    return frame;
  const { mid, msg, opts } = parsed;
  if (typeof mid !== 'string' || typeof msg !== 'string' || typeof opts !== 'object' || opts === null) return frame;
  // Only the text and opts change: a live frame has no subject field to carry a variant's.
  const p = forRecipient({ msg, opts: opts as JsonObject }, mid, uid);
  return JSON.stringify({ ...parsed, msg: p.msg, opts: p.opts });
};
