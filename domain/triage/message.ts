import type { JsonObject } from '../../schema/json.js';
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
  };
};

/** `opts.ttl` when given (0 means "now or never"), else the urgency's default lifetime. */
export const expiryOf = (
  m: Pick<MessageFacts, 'due' | 'urgency' | 'ttlSeconds'>,
  config: Pick<TriageConfig, 'urgency'>,
): number => m.due + (m.ttlSeconds !== undefined ? m.ttlSeconds * 1000 : config.urgency[m.urgency].ttlMs);

/** Digest windows are aligned to multiples of their length, so every step of a window agrees on it. */
export const digestWindow = (at: number, windowMs: number): { readonly start: number; readonly end: number } => {
  const start = Math.floor(at / windowMs) * windowMs;
  return { start, end: start + windowMs };
};
