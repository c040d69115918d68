import { isRight } from 'fp-ts/lib/Either.js';
import { dayIsInMonth } from './bounds.js';
import { DeliveryStatus, FUNNEL_CHANNELS, MessageStatus, isFunnelChannel } from './search-documents.js';
import type { FunnelChannel } from './search-documents.js';
import { SearchCursor, SearchMessagesQuery } from './search-query.js';

// The query string of GET /api/v2/analytics/messages, decoded into the search port's query
// (schema/search-query.ts) one parameter at a time, so a bad value is refused naming the
// parameter the analyst typed; an unknown or repeated parameter is refused too (an analyst
// who typed `?sendr=ann` must not read totals over every message believing them filtered).

export const ANALYTICS_MESSAGE_PARAMS = [
  'text',
  'tid',
  'sender',
  'urgencyMin',
  'urgencyMax',
  'since',
  'until',
  'status',
  'outcome',
  'channel',
  'after',
  'limit',
] as const;
type Param = (typeof ANALYTICS_MESSAGE_PARAMS)[number];

export interface ParamError {
  readonly field: string;
  readonly msg: string;
}

const ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;
export const CHANNEL_MSG = `expected a comma-separated list of ${FUNNEL_CHANNELS.join(', ')}`;
/** A comma-separated list of the funnel's channels, or undefined when any item is not one. */
export const channelList = (s: string): FunnelChannel[] | undefined => {
  const items = s.split(',');
  return items.every(isFunnelChannel) ? [...new Set(items)] : undefined;
};
const ISO = /^\d{4}-\d{2}-\d{2}T/;
const urgency = (s: string): 1 | 2 | 3 | 4 | undefined =>
  s === '1' ? 1 : s === '2' ? 2 : s === '3' ? 3 : s === '4' ? 4 : undefined;
/** An ISO-8601 time, normalised; a day its month does not have is refused (Date.parse moves 2026-02-30 to March 2). */
export const instant = (s: string): string | undefined =>
  ISO.test(s) && dayIsInMonth(s) && !Number.isNaN(Date.parse(s)) ? new Date(Date.parse(s)).toISOString() : undefined;

/** `get(name)` is the single value of a parameter, or null; unknown and repeated ones are checked by the caller. */
export const analyticsMessagesQuery = (
  get: (name: Param) => string | null,
): { readonly ok: SearchMessagesQuery } | { readonly error: ParamError } => {
  const bad = (field: Param, msg: string) => ({ error: { field, msg } });
  const text = get('text');
  if (text !== null && (text.length === 0 || text.length > 1_000)) return bad('text', 'expected 1..1000 characters');
  const tid = get('tid');
  if (tid !== null && !ID.test(tid)) return bad('tid', 'not a thread id');
  const sender = get('sender');
  if (sender !== null && !ID.test(sender)) return bad('sender', 'not a user id');
  const [minRaw, maxRaw] = [get('urgencyMin'), get('urgencyMax')];
  const [min, max] = [minRaw === null ? undefined : urgency(minRaw), maxRaw === null ? undefined : urgency(maxRaw)];
  if (minRaw !== null && min === undefined) return bad('urgencyMin', 'expected 1, 2, 3 or 4');
  if (maxRaw !== null && max === undefined) return bad('urgencyMax', 'expected 1, 2, 3 or 4');
  if (min !== undefined && max !== undefined && min > max) return bad('urgencyMax', 'must not be below urgencyMin');
  const [sinceRaw, untilRaw] = [get('since'), get('until')];
  const [since, until] = [
    sinceRaw === null ? undefined : instant(sinceRaw),
    untilRaw === null ? undefined : instant(untilRaw),
  ];
  if (sinceRaw !== null && since === undefined) return bad('since', 'expected an ISO-8601 time');
  if (untilRaw !== null && until === undefined) return bad('until', 'expected an ISO-8601 time');
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until))
    return bad('until', 'must be later than since');
  const statusRaw = get('status');
  const status = statusRaw === null ? undefined : statusRaw.split(',');
  if (status !== undefined && !status.every((s) => MessageStatus.is(s)))
    return bad('status', 'expected a comma-separated list of published, scheduled, cancelled, retracted');
  const outcomeRaw = get('outcome');
  const outcome = outcomeRaw === null ? undefined : outcomeRaw.split(',');
  if (outcome !== undefined && !outcome.every((s) => DeliveryStatus.is(s)))
    return bad(
      'outcome',
      'expected a comma-separated list of retrying, failed, given_up, revoked, delivered, seen, read, clicked',
    );
  const channelRaw = get('channel');
  const channel = channelRaw === null ? undefined : channelList(channelRaw);
  if (channelRaw !== null && channel === undefined) return bad('channel', CHANNEL_MSG);
  const after = get('after');
  if (after !== null && !SearchCursor.is(after)) return bad('after', 'not a cursor returned as `next` by this API');
  const limitRaw = get('limit');
  const limit = limitRaw === null ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return bad('limit', 'expected an integer 1..200');
  const filter = {
    ...(text !== null ? { text } : {}),
    ...(tid !== null ? { tid } : {}),
    ...(sender !== null ? { from: sender } : {}),
    ...(min !== undefined || max !== undefined
      ? { urgency: { ...(min !== undefined ? { gte: min } : {}), ...(max !== undefined ? { lte: max } : {}) } }
      : {}),
    ...(since !== undefined || until !== undefined
      ? { at: { ...(since !== undefined ? { gte: since } : {}), ...(until !== undefined ? { lt: until } : {}) } }
      : {}),
    ...(status !== undefined ? { status } : {}),
    ...(outcome !== undefined ? { reached: outcome } : {}),
    ...(channel !== undefined ? { channel } : {}),
  };
  // Decoded once more by the port's own codec: what reaches an adapter is always a SearchMessagesQuery.
  const q = SearchMessagesQuery.decode({ limit, filter, ...(after !== null ? { after } : {}) });
  return isRight(q) ? { ok: q.right } : bad('limit', 'invalid query');
};
