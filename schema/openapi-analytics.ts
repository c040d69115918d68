import { ANALYTICS_MESSAGE_PARAMS } from './analytics-query.js';
import type { Json, Operations } from './openapi-types.js';

// The routes of the auditors' and analysts' reports (issue 12): explain (api/routes/explain.ts).
// Merged into the one document by schema/openapi.ts; the answers are schema/explain.ts's types.
const str = { type: 'string' };
const int = { type: 'integer' };
const nstr = { type: ['string', 'null'] };
const obj = (required: string[], properties: Json): Json => ({ type: 'object', required, properties });
const json = (schema: Json, description = 'OK'): Json => ({ description, content: { 'application/json': { schema } } });
const array = (items: Json): Json => ({ type: 'array', items });
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const all = (properties: Json): Json => obj(Object.keys(properties), properties);
/** Every property required but the `optional` ones. */
const allBut = (optional: readonly string[], properties: Json): Json =>
  obj(
    Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  );

const entry = all({
  kind: { enum: ['attempt', 'sent', 'failed', 'retry', 'gave-up', 'skipped'] },
  position: int,
  at: str,
  attempt: { type: ['integer', 'null'] },
  outcome: { ...nstr, description: 'failed: retry|failed|gone; skipped: the skip reason; sent: the provider id' },
  reason: nstr,
  retryAt: nstr,
  digest: nstr,
});

const nat = { type: 'integer', minimum: 0 };
const channelNames = ['websocket', 'apns', 'fcm', 'webpush', 'email', 'sms', 'mqtt'];
const perChannel = (schema: Json): Json => all(Object.fromEntries(channelNames.map((c) => [c, schema])));
const rate = { type: ['number', 'null'], description: 'of the addressed recipients; null when none' };
const stage = all({ count: nat, rate });
const statuses = ['retrying', 'failed', 'given_up', 'revoked', 'delivered', 'seen', 'read', 'clicked'];
const messageDoc = allBut(['variants'], {
  mid: str,
  tid: nstr,
  from: str,
  audience: { enum: ['thread', 'user', 'users', 'everyone'] },
  recipients: { type: ['integer', 'null'] },
  text: str,
  urgency: { type: 'integer', minimum: 1, maximum: 4 },
  at: str,
  scheduled: nstr,
  status: { enum: ['published', 'scheduled', 'cancelled', 'retracted'] },
  counts: all(Object.fromEntries(statuses.map((k) => [k, { type: 'integer', minimum: 0 }]))),
  funnel: all({
    addressed: nat,
    triaged: nat,
    attempted: perChannel(nat),
    sent: perChannel(nat),
    sentAny: nat,
    delivered: nat,
    seen: nat,
    read: nat,
    clicked: nat,
  }),
  channels: { ...array({ enum: channelNames }), description: 'channels a delivery was attempted or sent on' },
  variants: {
    ...array(all({ name: str, weight: nat })),
    description: 'a message with A/B variants: their names and weights (the texts are in the log)',
  },
});

const buckets = array(all({ key: str, count: nat }));
export const analyticsSchemas: Record<string, Json> = {
  AnalyticsTimeseries: all({
    interval: { enum: ['minute', 'hour', 'day'] },
    since: { ...str, description: 'start of the first bucket (since rounded down to the interval, UTC)' },
    until: str,
    by: { enum: ['channel', 'urgency', 'outcome', null] },
    series: array(all({ key: str, buckets })),
    failures: array(all({ key: str, count: nat, buckets })),
    revocations: buckets,
  }),
  AnalyticsOnline: all({
    interval: { enum: ['minute', 'hour', 'day'] },
    since: { ...str, description: 'start of the first bucket (since rounded down to the interval, UTC)' },
    until: str,
    uid: nstr,
    onlineSeconds: { type: 'number', minimum: 0, description: 'session seconds in the range (two tabs count twice)' },
    users: { ...nat, description: 'distinct users with session time in the range' },
    buckets: array(
      all({
        key: str,
        onlineSeconds: { type: 'number', minimum: 0 },
        users: nat,
        concurrent: { type: 'number', minimum: 0, description: 'average sessions open: session time / interval' },
      }),
    ),
    top: array(all({ uid: str, onlineSeconds: { type: 'number', minimum: 0 } })),
  }),
  AnalyticsFunnel: allBut(['variants'], {
    scope: obj([], { mid: str, tid: str, since: str, until: str }),
    messages: nat,
    addressed: { ...nat, description: 'recipients named in a triage plan' },
    triaged: { ...stage, description: 'recipients planned at least one step' },
    channels: perChannel(all({ attempted: nat, sent: nat, rate })),
    sent: { ...stage, description: 'recipients sent on at least one channel' },
    delivered: stage,
    seen: stage,
    read: stage,
    clicked: stage,
    timeToRead: all({
      reads: nat,
      p50: { type: ['integer', 'null'] },
      p90: { type: ['integer', 'null'] },
      p99: { type: ['integer', 'null'] },
    }),
    variants: {
      ...array(all({ variant: str, addressed: nat, sent: nat, delivered: nat, seen: nat, read: nat, clicked: nat })),
      description:
        'with `by=variant` (and a `mid`): distinct recipients per A/B variant and stage, by variant name (docs/campaigns.md)',
    },
  }),
  AnalyticsMessagePage: all({
    messages: array(messageDoc),
    total: { type: 'integer', minimum: 0, description: 'every message matching the filter, on all pages' },
    next: { ...nstr, description: 'pass as `after` for the next (older) page; null at the end' },
  }),
  Explanation: all({
    mid: str,
    from: str,
    status: { enum: ['published', 'scheduled', 'cancelled', 'retracted'] },
    publishedAt: str,
    scheduled: nstr,
    urgency: int,
    audience: {
      oneOf: [
        { type: 'null' },
        all({
          segment: nstr,
          name: nstr,
          query: { description: 'the segment query evaluated (docs/audiences.md)' },
          count: nat,
          position: { ...int, description: 'log position of the AudienceResolved event' },
          at: str,
        }),
      ],
      description:
        'set when the audience was resolved from a segment or query; its uids are the published audience (up to 10,000 users) or the AudienceChunk parts in the stream audience-<mid> (beyond)',
    },
    triage: array(all({ batch: int, position: int, at: str, urgency: int, due: str, expiresAt: str, skipped: nstr })),
    recipients: array(
      allBut(['variant'], {
        uid: str,
        online: { type: 'boolean' },
        variant: { ...str, description: 'the A/B variant assigned (absent for a message without variants)' },
        plan: array(
          all({
            channel: str,
            deviceId: nstr,
            at: str,
            rule: { ...str, description: 'the triage rule that chose the step' },
            digest: nstr,
            batch: int,
          }),
        ),
        steps: array(
          all({
            channel: str,
            deviceId: nstr,
            stream: str,
            state: { enum: ['pending', 'attempting', 'sent', 'skipped', 'retrying', 'failed', 'given-up'] },
            entries: array(entry),
          }),
        ),
        receipts: array(all({ status: str, channel: nstr, position: int, at: str })),
        revocations: array(all({ deviceId: str, reason: str, position: int, at: str })),
      }),
    ),
    recipientsPlanned: int,
    next: nstr,
  }),
};

export const analyticsOperations: Operations = {
  '/api/v2/analytics/messages': {
    get: {
      access: 'analyst',
      // The route's own list: the fuzzer and the route refuse any other parameter alike.
      query: [...ANALYTICS_MESSAGE_PARAMS],
      summary:
        'Messages from the search projection, newest first: `text` (every word, text or subject), `tid`, `sender`, `urgencyMin`/`urgencyMax` (1-4), `since` (inclusive) / `until` (exclusive) ISO-8601, `status` (comma-separated: published, scheduled, cancelled, retracted), `outcome` (comma-separated delivery statuses: a recipient reached one of them), `channel` (comma-separated: websocket, apns, fcm, webpush, email, sms, mqtt: a delivery was attempted or sent on one of them); `limit` 1..200 (50), `after` the `next` of the previous page; `total` counts every match. Admins and analysts',
      ok: json(ref('AnalyticsMessagePage')),
    },
  },
  '/api/v2/analytics/funnel': {
    get: {
      access: 'analyst',
      query: ['mid', 'tid', 'since', 'until', 'tag', 'by'],
      summary:
        'The delivery funnel of one message (`mid`), a thread (`tid`), a publication time range (`since` inclusive, `until` exclusive, ISO-8601) or a thread within a range: addressed -> triaged -> attempted/sent per channel -> sent -> delivered -> seen -> read -> clicked, in distinct recipients per message (each receipt stage counts those that reached it or a later one), rates of the addressed, and time-to-read percentiles (ms from the due time, nearest rank, rounded up to two significant digits). `tag` is refused: messages carry no campaign tag. `by=variant` (with `mid` only) adds `variants`: the funnel of each A/B variant (addressed, sent, delivered, seen, read, clicked). Admins and analysts',
      ok: json(ref('AnalyticsFunnel')),
    },
  },
  '/api/v2/analytics/timeseries': {
    get: {
      access: 'analyst',
      query: ['interval', 'since', 'until', 'by'],
      summary:
        'Messages published per `interval` (minute, hour, day; UTC) in [`since`, `until`) (both required, at most 1000 buckets, else 400), every bucket listed, one series per key of `by` (channel: a delivery attempted or sent on it; urgency 1-4; outcome: a recipient reached that delivery status) or one series `all`; `failures`: deliveries of those messages that ended in a failure, per channel with the top 5 reasons; `revocations`: deliveries that ended with the device revoked, per interval. Admins and analysts',
      ok: json(ref('AnalyticsTimeseries')),
    },
  },
  '/api/v2/analytics/online': {
    get: {
      access: 'analyst',
      query: ['interval', 'since', 'until', 'uid', 'top'],
      summary:
        "Online time from the nodes' websocket check-ins in [`since`, `until`) per `interval` (minute, hour, day; UTC; both ends required, at most 1000 buckets, else 400): session seconds, distinct users and average concurrent sessions per interval (every bucket listed), totals, and the `top` (1-100, 10) users by session time; `uid` for one user. Admins and analysts",
      ok: json(ref('AnalyticsOnline')),
    },
  },
  '/api/v2/messages/{mid}/deliveries': {
    get: {
      access: 'user',
      params: ['mid'],
      query: ['uid', 'after', 'limit'],
      summary:
        'Explain, from the log: the triage plan (with the rule that chose each step), attempts with outcome and reason, retries, skips, receipts and device revocations, per recipient (`uid` for one; paged by `after`, a uid, and `limit` 1..200). The sender, admins and auditors; others get 404',
      ok: json(ref('Explanation')),
    },
  },
};
