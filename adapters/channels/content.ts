import type { JsonObject } from '../../schema/json.js';
import type { Urgency } from '../../schema/message.js';
import type { OutgoingMessage } from '../../ports/channel.js';

// Rules every mapper shares, so that a message's urgency, lifetime, collapse key and deep
// link mean the same thing on every channel.

/** RFC 8030 Urgency names, indexed by msgxc's urgency 1..4. */
export const URGENCY_NAMES = ['very-low', 'low', 'normal', 'high'] as const;
export type UrgencyName = (typeof URGENCY_NAMES)[number];
export const urgencyName = (u: Urgency): UrgencyName => URGENCY_NAMES[u - 1] ?? 'normal';

/** msgxc kept pushes for 24 h; `opts.ttl` (seconds, validated at the API) overrides. */
export const DEFAULT_TTL_S = 24 * 3600;
export const ttlSeconds = (m: OutgoingMessage): number => {
  const ttl = m.opts['ttl'];
  return typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0 && ttl <= 28 * 24 * 3600 ? ttl : DEFAULT_TTL_S;
};

/** `opts.collapse`: a later message with the same key replaces an undelivered earlier one. */
export const collapseKey = (m: OutgoingMessage): string | undefined => {
  const c = m.opts['collapse'];
  return typeof c === 'string' && c.length > 0 && c.length <= 64 ? c : undefined;
};

/** The deep link path inside the app, as msgxc's web push payload had it. */
export const slugOf = (m: OutgoingMessage): string =>
  m.tid !== undefined ? `/thread/${encodeURIComponent(m.tid)}` : '/inbox';

/** An absolute link for text channels (SMS, email), when a public base URL is configured. */
export const linkOf = (base: string | undefined, m: OutgoingMessage): string | undefined =>
  base === undefined ? undefined : `${base.replace(/\/+$/, '')}${slugOf(m)}`;

/** `opts.data`, the application's own key/values that msgxc passed through to devices. */
export const dataOf = (m: OutgoingMessage): JsonObject => {
  const d = m.opts['data'];
  return typeof d === 'object' && d !== null && !Array.isArray(d) ? d : {};
};

export const optString = (o: JsonObject, key: string): string | undefined => {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
};

export const optInt = (o: JsonObject, key: string): number | undefined => {
  const v = o[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
};
