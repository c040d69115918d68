import type { JsonObject } from '../../schema/json.js';
import type { LocalSchedule } from '../../schema/local-time.js';
import type { Urgency } from '../../schema/message.js';
import type { TriageConfig } from './config.js';
import type { MessageFacts, ThreadChannels } from './types.js';

// The parts of a published message triage reads. `opts` is free-form, and the API validates
// `ttl` and `collapse`; anything else found here (an older event, another writer) is ignored
// rather than trusted.
const MAX_TTL_S = 28 * 24 * 3600;

export const ttlOf = (opts: JsonObject): number | undefined => {
  const ttl = opts['ttl'];
  return typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0 && ttl <= MAX_TTL_S ? ttl : undefined;
};

export const collapseOf = (opts: JsonObject): string | undefined => {
  const c = opts['collapse'];
  return typeof c === 'string' && c.length > 0 && c.length <= 64 ? c : undefined;
};

export interface PublishedFacts {
  readonly mid: string;
  readonly urgency: Urgency;
  readonly opts: JsonObject;
  readonly at: string;
  readonly scheduled?: string;
  readonly local?: LocalSchedule;
}

export const messageFacts = (m: PublishedFacts, thread?: ThreadChannels): MessageFacts => {
  const ttlSeconds = ttlOf(m.opts);
  const collapse = collapseOf(m.opts);
  return {
    mid: m.mid,
    urgency: m.urgency,
    due: Date.parse(m.scheduled ?? m.at),
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    ...(collapse !== undefined ? { collapse } : {}),
    ...(thread !== undefined ? { thread } : {}),
    ...(m.local?.timezone === 'recipient' ? { local: { schedule: m.local, publishedAt: Date.parse(m.at) } } : {}),
  };
};

/** `opts.ttl` when given (0 means "now or never"), else the urgency's default lifetime. */
export const expiryOf = (
  m: Pick<MessageFacts, 'due' | 'urgency' | 'ttlSeconds' | 'local'>,
  config: Pick<TriageConfig, 'urgency'>,
): number =>
  m.due +
  (m.local === undefined ? 0 : LOCAL_SPREAD_MS) +
  (m.ttlSeconds !== undefined ? m.ttlSeconds * 1000 : config.urgency[m.urgency].ttlMs);

/** How much later than the first zone the last one reaches a local time (UTC+14 to UTC-12, plus a DST hour). */
export const LOCAL_SPREAD_MS = 27 * 3_600_000;

/** Digest windows are aligned to multiples of their length, so every step of a window agrees on it. */
export const digestWindow = (at: number, windowMs: number): { readonly start: number; readonly end: number } => {
  const start = Math.floor(at / windowMs) * windowMs;
  return { start, end: start + windowMs };
};
