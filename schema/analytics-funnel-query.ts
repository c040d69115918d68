import type { DeliveryFilter, MessageFilter } from './search-query.js';
import { instant } from './analytics-query.js';
import type { ParamError } from './analytics-query.js';

// The query string of GET /api/v2/analytics/funnel: a scope, one of
//   mid                        one message
//   tid and/or since/until     the messages of a thread, of a time range (publication time), or both
// decoded into the search port's message filter (the funnel sums) and delivery filter (times to
// read). A scope is required: a funnel over "everything" is asked for with a time range.
// Messages carry no campaign tag in this broker, so `tag` is refused by name, not ignored.

// `by=variant` adds the message's funnel per A/B variant (docs/campaigns.md): one message only,
// as variant names are the message's own.
export const ANALYTICS_FUNNEL_PARAMS = ['mid', 'tid', 'since', 'until', 'tag', 'by'] as const;
type Param = (typeof ANALYTICS_FUNNEL_PARAMS)[number];

export interface FunnelScope {
  readonly mid?: string;
  readonly tid?: string;
  readonly since?: string;
  readonly until?: string;
}
export interface FunnelQuery {
  readonly scope: FunnelScope;
  readonly messages: MessageFilter;
  readonly deliveries: DeliveryFilter;
  /** `by=variant`: also the funnel of each variant of the one message `scope.mid`. */
  readonly byVariant?: true;
}

const ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;

export const analyticsFunnelQuery = (
  get: (name: Param) => string | null,
): { readonly ok: FunnelQuery } | { readonly error: ParamError } => {
  const bad = (field: Param, msg: string) => ({ error: { field, msg } });
  if (get('tag') !== null)
    return bad('tag', 'messages carry no campaign tag in this broker; scope by mid, tid or since/until');
  const [mid, tid, sinceRaw, untilRaw] = [get('mid'), get('tid'), get('since'), get('until')];
  if (mid !== null && !ID.test(mid)) return bad('mid', 'not a message id');
  if (tid !== null && !ID.test(tid)) return bad('tid', 'not a thread id');
  const since = sinceRaw === null ? undefined : instant(sinceRaw);
  const until = untilRaw === null ? undefined : instant(untilRaw);
  if (sinceRaw !== null && since === undefined) return bad('since', 'expected an ISO-8601 time');
  if (untilRaw !== null && until === undefined) return bad('until', 'expected an ISO-8601 time');
  if (since !== undefined && until !== undefined && Date.parse(since) >= Date.parse(until))
    return bad('until', 'must be later than since');
  if (mid !== null && (tid !== null || sinceRaw !== null || untilRaw !== null))
    return bad('mid', 'one message is a scope of its own: not with tid, since or until');
  if (mid === null && tid === null && since === undefined && until === undefined)
    return bad('mid', 'name a scope: mid, tid, since/until (or tid with since/until)');
  const at =
    since === undefined && until === undefined
      ? undefined
      : { ...(since === undefined ? {} : { gte: since }), ...(until === undefined ? {} : { lt: until }) };
  const scope: FunnelScope = {
    ...(mid === null ? {} : { mid }),
    ...(tid === null ? {} : { tid }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
  const by = get('by');
  if (by !== null && by !== 'variant') return bad('by', 'the only split is by=variant');
  if (by !== null && mid === null) return bad('by', 'by=variant is the funnel of one message: give its mid');
  if (mid !== null)
    return {
      ok: { scope, messages: { mid }, deliveries: { mid, read: true }, ...(by === null ? {} : { byVariant: true }) },
    };
  return {
    ok: {
      scope,
      messages: { ...(tid === null ? {} : { tid }), ...(at === undefined ? {} : { at }) },
      deliveries: { read: true, ...(tid === null ? {} : { tid }), ...(at === undefined ? {} : { msgAt: at }) },
    },
  };
};
