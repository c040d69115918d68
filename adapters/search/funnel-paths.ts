import { FUNNEL_CHANNELS } from '../../schema/search-documents.js';
import type { FunnelTotals } from '../../schema/search-query.js';

// The funnel's numeric leaves as dotted paths (`sent.email`), and the totals rebuilt from
// sums per path: both engines sum the same leaves and build the answer with this one function.

export const FUNNEL_PATHS: readonly string[] = [
  'addressed',
  'triaged',
  ...FUNNEL_CHANNELS.map((c) => `attempted.${c}`),
  ...FUNNEL_CHANNELS.map((c) => `sent.${c}`),
  'sentAny',
  'delivered',
  'seen',
  'read',
  'clicked',
];

export const funnelTotals = (messages: number, sum: (path: string) => number): FunnelTotals => {
  const perChannel = (kind: 'attempted' | 'sent') =>
    Object.fromEntries(FUNNEL_CHANNELS.map((c) => [c, sum(`${kind}.${c}`)])) as FunnelTotals['sent'];
  return {
    messages,
    addressed: sum('addressed'),
    triaged: sum('triaged'),
    attempted: perChannel('attempted'),
    sent: perChannel('sent'),
    sentAny: sum('sentAny'),
    delivered: sum('delivered'),
    seen: sum('seen'),
    read: sum('read'),
    clicked: sum('clicked'),
  };
};
