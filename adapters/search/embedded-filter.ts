import type { DeliveryFilter, MessageFilter, TimeRange } from '../../schema/search-query.js';
import { words } from './words.js';

// Filters as SQL: a WHERE clause and its parameters. Column names come from this file only;
// every value is a bound parameter.
export interface Where {
  readonly sql: string;
  readonly params: readonly (string | number)[];
}

const and = (parts: readonly Where[]): Where => ({
  sql: parts.length === 0 ? '1' : parts.map((p) => `(${p.sql})`).join(' AND '),
  params: parts.flatMap((p) => p.params),
});
const eq = (column: string, value: string | number | undefined): Where[] =>
  value === undefined ? [] : [{ sql: `${column} = ?`, params: [value] }];
const oneOf = (column: string, values: readonly string[] | undefined): Where[] =>
  values === undefined ? [] : [{ sql: `${column} IN (${values.map(() => '?').join(', ')})`, params: values }];
const range = (column: string, r: TimeRange | undefined): Where[] => [
  ...(r?.gte === undefined ? [] : [{ sql: `${column} >= ?`, params: [Date.parse(r.gte)] }]),
  ...(r?.lt === undefined ? [] : [{ sql: `${column} < ?`, params: [Date.parse(r.lt)] }]),
];

// Each word quoted: FTS5 reads a quoted string as one term, and words hold no quotes.
const matchText = (text: string | undefined): Where[] => {
  if (text === undefined) return [];
  const ws = words(text);
  if (ws.length === 0) return [{ sql: '0', params: [] }];
  return [
    {
      sql: 'rowid IN (SELECT rowid FROM search_messages_fts WHERE search_messages_fts MATCH ?)',
      params: [ws.map((w) => `"${w}"`).join(' ')],
    },
  ];
};

export const messageWhere = (f: MessageFilter = {}): Where =>
  and([
    ...matchText(f.text),
    ...eq('mid', f.mid),
    ...eq('tid', f.tid),
    ...eq('sender', f.from),
    ...(f.urgency?.gte === undefined ? [] : [{ sql: 'urgency >= ?', params: [f.urgency.gte] }]),
    ...(f.urgency?.lte === undefined ? [] : [{ sql: 'urgency <= ?', params: [f.urgency.lte] }]),
    ...oneOf('status', f.status),
    ...reached(f.reached),
    ...channelIn(f.channel),
    ...range('at', f.at),
  ]);

// `channels` is a small JSON array per message.
const channelIn = (channels: readonly string[] | undefined): Where[] =>
  channels === undefined
    ? []
    : [
        {
          sql:
            channels.length === 0
              ? '0'
              : `EXISTS (SELECT 1 FROM json_each(channels) WHERE value IN (${channels.map(() => '?').join(', ')}))`,
          params: channels,
        },
      ];

// `counts` is a small JSON object per message; status names come from the codec, bound as parameters.
const reached = (statuses: readonly string[] | undefined): Where[] =>
  statuses === undefined
    ? []
    : [
        {
          sql: statuses.length === 0 ? '0' : statuses.map(() => "json_extract(counts, '$.' || ?) > 0").join(' OR '),
          params: statuses,
        },
      ];

export const deliveryWhere = (f: DeliveryFilter = {}): Where =>
  and([
    ...eq('mid', f.mid),
    ...eq('uid', f.uid),
    ...eq('channel', f.channel),
    ...oneOf('status', f.status),
    ...range('at', f.at),
    ...eq('tid', f.tid),
    ...range('msg_at', f.msgAt),
    ...(f.read === true ? [{ sql: 'read_ms IS NOT NULL', params: [] }] : []),
  ]);

export const MESSAGE_COLUMNS = {
  urgency: 'urgency',
  from: 'sender',
  tid: 'tid',
  status: 'status',
  audience: 'audience',
} as const;
export const DELIVERY_COLUMNS = {
  channel: 'channel',
  status: 'status',
  uid: 'uid',
  mid: 'mid',
  read_ms: 'read_ms',
  reason: 'reason',
} as const;
