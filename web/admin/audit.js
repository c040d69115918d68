// The audit stream browser: streams by name prefix, events of the log with the audit routes'
// filters (type, stream prefix, actor, correlation id, time), paged by position, and one
// event's metadata with its hash-chain link. "Check this stream's chain" recomputes the links
// of a whole stream in the browser (chain.js); the full verify is `msgxc audit verify`.
import { $, api, el, isoOf, qs, row, setupHeader, showError, when } from './common.js';
import { checkStream } from './chain.js';

let streamsNext = null;
let eventsQuery = '';
let eventsNext = null;
let shown = [];
let streamShown = null; // the stream whose events are listed whole (for the chain check)
let picked = null;

const fail = (e) => showError(e);

const listStreams = async (more) => {
  try {
    const after = more && streamsNext !== null ? streamsNext : undefined;
    const page = await api(`/api/v2/streams?${qs({ prefix: $('prefix').value.trim(), after, limit: 50 })}`);
    const rows = page.streams.map((s) =>
      row([s.stream, s.type, s.position], {
        class: 'pick',
        title: `created ${when(s.createdAt)}`,
        'data-stream': s.stream,
        onclick: () => void openStream(s.stream),
      }),
    );
    if (more) $('streams').append(...rows);
    else $('streams').replaceChildren(...rows);
    streamsNext = page.next;
    $('moreStreams').disabled = page.next === null;
    showError();
  } catch (e) {
    $('streams').replaceChildren();
    fail(e);
  }
};

const showEvents = (events, append) => {
  shown = append ? [...shown, ...events] : events;
  const rows = events.map((e) =>
    row(
      [
        e.position,
        e.stream,
        e.revision,
        e.type,
        e.metadata.actor?.uid ?? '',
        when(e.metadata.occurredAt),
        e.metadata.correlationId ?? '',
      ],
      {
        class: 'pick',
        'data-position': e.position,
        onclick: () => pick(e),
      },
    ),
  );
  if (append) $('events').append(...rows);
  else $('events').replaceChildren(...rows);
};

const searchEvents = async (more) => {
  try {
    if (!more) {
      eventsQuery = qs({
        type: $('type').value.replace(/\s+/g, ''),
        stream: $('stream').value.trim(),
        actor: $('actor').value.trim(),
        correlationId: $('correlationId').value.trim(),
        from: isoOf($('from').value),
        to: isoOf($('to').value),
        limit: $('limit').value,
      });
    }
    const after = more ? eventsNext : Number($('after').value || 0);
    const page = await api(`/api/v2/events?${eventsQuery}&${qs({ after })}`);
    streamShown = null;
    $('verify').hidden = true;
    $('verifyResult').textContent = '';
    showEvents(page.events, more);
    eventsNext = page.next;
    $('moreEvents').disabled = page.next === null;
    $('eventsInfo').textContent =
      `${shown.length} event(s) shown` +
      (page.next === null ? '; the head of the log is reached' : `; next page after position ${page.next}`);
    showError();
  } catch (e) {
    // Nothing stays on screen that the current token may not read.
    showEvents([], false);
    $('eventsInfo').textContent = '';
    $('detail').hidden = true;
    fail(e);
  }
};

async function openStream(stream) {
  try {
    const events = [];
    for (let from = 0; from !== null && events.length < 10_000; ) {
      const page = await api(`/api/v2/streams/${encodeURIComponent(stream)}?${qs({ from, limit: 1000 })}`);
      events.push(...page.events);
      from = page.next;
    }
    for (const tr of $('streams').children) tr.classList.toggle('selected', tr.dataset.stream === stream);
    showEvents(events, false);
    streamShown = { stream, events };
    eventsNext = null;
    $('moreEvents').disabled = true;
    $('verify').hidden = false;
    $('verifyResult').textContent = '';
    $('eventsInfo').textContent = `stream ${stream}: ${events.length} event(s)`;
    showError();
  } catch (e) {
    fail(e);
  }
}

const field = (name, value) =>
  el('tr', {}, el('th', {}, name), el('td', {}, value === undefined || value === null ? '–' : String(value)));

function pick(e) {
  picked = e;
  for (const tr of $('events').children) tr.classList.toggle('selected', tr.dataset.position === String(e.position));
  const m = e.metadata;
  $('detailEmpty').hidden = true;
  $('detail').hidden = false;
  $('fields').replaceChildren(
    field('position', e.position),
    field('stream', e.stream),
    field('revision', e.revision),
    field('type', e.type),
    field(
      'actor',
      m.actor ? `${m.actor.uid}${m.actor.roles?.length ? ` (${m.actor.roles.join(', ')})` : ''}` : undefined,
    ),
    field('occurred at', m.occurredAt),
    field('correlation id', m.correlationId),
    field('causation id', m.causationId),
    field('event id', m.eventId),
    field('chain prev', m.chain?.prev ?? 'no link (from before the chain)'),
    field('chain hash', m.chain?.hash),
  );
  $('data').textContent = JSON.stringify(e.data, null, 2);
  $('metadata').textContent = JSON.stringify(m, null, 2);
  $('sameCorrelation').disabled = !m.correlationId;
}

$('streamForm').onsubmit = (ev) => {
  ev.preventDefault();
  void listStreams(false);
};
$('eventForm').onsubmit = (ev) => {
  ev.preventDefault();
  void searchEvents(false);
};
$('moreStreams').onclick = () => void listStreams(true);
$('moreEvents').onclick = () => void searchEvents(true);
$('sameCorrelation').onclick = () => {
  if (picked === null) return;
  for (const id of ['type', 'stream', 'actor', 'from', 'to']) $(id).value = '';
  $('after').value = '0';
  $('correlationId').value = picked.metadata.correlationId ?? '';
  void searchEvents(false);
};
$('openStream').onclick = () => picked !== null && void openStream(picked.stream);
$('verify').onclick = async () => {
  if (streamShown === null) return;
  const out = $('verifyResult');
  try {
    const r = await checkStream(streamShown.events);
    out.className = r.ok ? 'chip ok' : 'chip bad';
    out.textContent = r.ok
      ? `OK: ${r.checked} link(s) check out${r.unchained ? `, ${r.unchained} event(s) from before the chain` : ''}`
      : `FAILED at revision ${r.revision} (position ${r.position}): ${r.problem}`;
  } catch (e) {
    out.className = 'chip bad';
    out.textContent = e.message;
  }
};
setupHeader(() => {
  void listStreams(false);
  void searchEvents(false);
});
