// One recipient of an explained message as a timeline: the plan (the rule that chose each
// step), every dispatch fact of each step (attempt, sent, failed with the provider's reason,
// retry, gave-up, skipped), receipts and device revocations, merged in log order.
import { el, when } from './common.js';

const device = (d) => (d === null ? '' : ` (${d.length > 16 ? `${d.slice(0, 15)}…` : d})`);

const factText = (f) => {
  const parts = [];
  if (f.attempt !== null) parts.push(`attempt ${f.attempt}`);
  if (f.outcome !== null) parts.push(f.kind === 'sent' ? `provider id ${f.outcome}` : `outcome ${f.outcome}`);
  if (f.reason !== null) parts.push(`reason: ${f.reason}`);
  if (f.retryAt !== null) parts.push(`next try ${when(f.retryAt)}`);
  if (f.digest !== null) parts.push(`in the digest of ${when(f.digest)}`);
  return parts.join('; ');
};

/** The recipient's facts as rows: [position, at, channel, what, detail], in log order. */
export const timelineRows = (r, triagePositions) => {
  const rows = [];
  for (const p of r.plan)
    rows.push({
      position: triagePositions.get(p.batch) ?? 0,
      order: 0,
      at: p.at,
      channel: `${p.channel}${device(p.deviceId)}`,
      what: 'planned',
      detail: `rule ${p.rule}${p.digest !== null ? `; digest window ${when(p.digest)}` : ''}; due ${when(p.at)}`,
    });
  for (const s of r.steps)
    for (const f of s.entries)
      rows.push({
        position: f.position,
        order: 1,
        at: f.at,
        channel: `${s.channel}${device(s.deviceId)}`,
        what: f.kind,
        detail: factText(f),
      });
  for (const x of r.receipts)
    rows.push({
      position: x.position,
      order: 1,
      at: x.at,
      channel: x.channel ?? '',
      what: `receipt ${x.status}`,
      detail: '',
    });
  for (const v of r.revocations)
    rows.push({
      position: v.position,
      order: 1,
      at: v.at,
      channel: device(v.deviceId),
      what: 'device revoked',
      detail: v.reason,
    });
  return rows.sort((a, b) => a.position - b.position || a.order - b.order);
};

/** A recipient's card: the steps' states, then the timeline. `triage`: batch -> its log position. */
export const explainRecipient = (r, triage) => {
  const rows = timelineRows(r, triage);
  const kind = (what) => (what === 'gave-up' ? 'given-up' : what.startsWith('receipt') ? 'delivered' : what);
  return el(
    'div',
    { class: 'recipient', 'data-uid': r.uid },
    el('h3', {}, r.uid, ' ', el('span', { class: 'muted' }, r.online ? 'online at triage' : 'offline at triage')),
    el('div', {}, ...r.steps.map((s) => el('span', { class: `chip ${s.state}` }, `${s.channel}: ${s.state}`))),
    el(
      'table',
      { class: 'timeline' },
      el('thead', {}, el('tr', {}, ...['position', 'at', 'channel', 'what', 'detail'].map((h) => el('th', {}, h)))),
      el(
        'tbody',
        {},
        ...rows.map((x) =>
          el(
            'tr',
            { 'data-what': x.what },
            el('td', {}, String(x.position)),
            el('td', { title: x.at }, when(x.at)),
            el('td', {}, x.channel),
            el('td', {}, el('span', { class: `chip ${kind(x.what)}` }, x.what)),
            el('td', {}, x.detail),
          ),
        ),
      ),
    ),
  );
};
