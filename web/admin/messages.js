// The message explorer: search the analytics route (text, thread, sender, time, status,
// outcome), pick a message, and read its explain story (GET /api/v2/messages/{mid}/deliveries):
// the triage plan with the rule per step, then per recipient one timeline, in log order, of
// what was planned, attempted, sent, failed (provider reason), retried, skipped and received.
import { $, api, clip, el, isoOf, qs, row, setupHeader, showError, when } from './common.js';
import { explainRecipient } from './timeline.js';

let filter = '';
let next = null;
let explained = { mid: '', next: null };

const reached = (counts) =>
  Object.entries(counts ?? {})
    .filter(([, n]) => n > 0)
    .map(([status, n]) => el('span', { class: `chip ${status}` }, `${status} ${n}`));

const showPage = (body, append) => {
  const rows = body.messages.map((m) =>
    el(
      'tr',
      { class: 'pick', 'data-mid': m.mid, onclick: () => explain(m.mid) },
      el('td', { title: m.at }, when(m.at)),
      el('td', {}, m.from),
      el('td', {}, m.tid ?? `(${m.audience})`),
      el('td', { class: 'text', title: m.text }, clip(m.text, 140)),
      el('td', {}, m.status),
      el('td', {}, reached(m.counts)),
    ),
  );
  if (append) $('results').append(...rows);
  else $('results').replaceChildren(...rows);
  $('total').textContent = `${body.total.toLocaleString()} message(s) match; showing ${$('results').children.length}`;
  next = body.next;
  $('more').disabled = next === null;
};

const search = async (append) => {
  try {
    if (!append) {
      filter = qs({
        text: $('text').value.trim(),
        tid: $('tid').value.trim(),
        sender: $('sender').value.trim(),
        since: isoOf($('since').value),
        until: isoOf($('until').value),
        status: $('status').value,
        outcome: $('outcome').value,
        limit: $('limit').value,
      });
    }
    const after = append && next !== null ? `&${qs({ after: next })}` : '';
    showPage(await api(`/api/v2/analytics/messages?${filter}${after}`), append);
    showError();
  } catch (e) {
    // Nothing stays on screen that the current token may not read.
    $('results').replaceChildren();
    $('total').textContent = '';
    $('explainBox').hidden = true;
    showError(e);
  }
};

const field = (name, value) => el('tr', {}, el('th', {}, name), el('td', {}, value === null ? '–' : String(value)));

async function explain(mid, more = false) {
  try {
    const after = more && explained.next !== null ? `&${qs({ after: explained.next })}` : '';
    const x = await api(`/api/v2/messages/${encodeURIComponent(mid)}/deliveries?limit=20${after}`);
    for (const tr of $('results').children) tr.classList.toggle('selected', tr.dataset.mid === mid);
    $('explainBox').hidden = false;
    $('explainMid').textContent = mid;
    $('head').replaceChildren(
      field('sender', x.from),
      field('status', x.status),
      field('published', x.publishedAt),
      field('scheduled', x.scheduled),
      field('urgency', x.urgency),
      field('recipients planned', x.recipientsPlanned),
    );
    $('triage').replaceChildren(
      ...x.triage.map((t) =>
        row([t.batch, t.position, when(t.at), t.urgency, when(t.due), when(t.expiresAt), t.skipped]),
      ),
    );
    const batches = new Map(x.triage.map((t) => [t.batch, t.position]));
    const cards = x.recipients.map((r) => explainRecipient(r, batches));
    if (more) $('recipients').append(...cards);
    else $('recipients').replaceChildren(...cards);
    if (x.recipients.length === 0 && !more)
      $('recipients').replaceChildren(el('p', { class: 'muted' }, 'Nobody was planned for this message (yet).'));
    explained = { mid, next: x.next };
    $('moreRecipients').hidden = x.next === null;
    $('recipientCount').textContent =
      `${$('recipients').querySelectorAll('.recipient').length} of ${x.recipientsPlanned} recipient(s) shown`;
    showError();
  } catch (e) {
    showError(e);
  }
}

$('search').onsubmit = (ev) => {
  ev.preventDefault();
  void search(false);
};
$('more').onclick = () => void search(true);
$('moreRecipients').onclick = () => void explain(explained.mid, true);
setupHeader(() => void search(false));
