/* global document, fetch, sessionStorage, performance, confirm, setInterval */
// The admin page: polls the admin-only stats every two seconds, keeps the last five minutes
// of samples in memory and draws them. No framework, no build step.
import { lineChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const WINDOW = 150; // samples (2 s apart)
const series = { append: [], http: [], lag: [] };
let previous;

const token = () => sessionStorage.getItem('msgxc-admin-token') ?? '';
$('token').value = token();
$('save').onclick = () => {
  sessionStorage.setItem('msgxc-admin-token', $('token').value.trim());
  tick();
};

const api = async (path, init = {}) => {
  const res = await fetch(path, { ...init, headers: { authorization: `Bearer ${token()}`, ...(init.headers ?? {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${res.status} ${body.code ?? ''}: ${body.msg ?? res.statusText}`);
  return body;
};

const push = (name, value) => {
  const s = series[name];
  s.push(value);
  if (s.length > WINDOW) s.shift();
};

// Newest sample on the right; the last five minutes fill the width (charts.js).
const draw = (svg, values) => lineChart(svg, values, { slots: WINDOW, left: '-5 min', right: 'now' });

const text = (el, value) => {
  el.textContent = value;
};

const cells = (values) => {
  const tr = document.createElement('tr');
  for (const cell of values) {
    const td = document.createElement('td');
    td.textContent = String(cell); // event data is user input: never inserted as HTML
    tr.append(td);
  }
  return tr;
};

const showDeadLetters = ({ count, deadLetters }) => {
  text($('deadCount'), count.toLocaleString());
  $('deadLetters').replaceChildren(
    ...deadLetters.map((d) => cells([d.position, d.follower, d.stream, d.type, d.reason, d.at])),
  );
};

const showEvents = (events) => {
  const rows = events
    .slice()
    .reverse()
    .map((e) => cells([e.position, e.stream, e.type, e.metadata.actor.uid, e.metadata.occurredAt]));
  $('events').replaceChildren(...rows);
};

async function tick() {
  try {
    const s = await api('/api/v2/admin/stats');
    const now = performance.now();
    if (previous) {
      const dt = (now - previous.at) / 1000;
      push('append', (s.head - previous.head) / dt);
      push('http', (s.httpRequests - previous.httpRequests) / dt);
    }
    push('lag', s.projectionLag);
    previous = { at: now, head: s.head, httpRequests: s.httpRequests };
    text($('appendRate'), Math.round(series.append.at(-1) ?? 0).toLocaleString());
    text($('httpRate'), Math.round(series.http.at(-1) ?? 0).toLocaleString());
    text($('lag'), s.projectionLag.toLocaleString());
    text($('head'), `log head at position ${s.head.toLocaleString()}; ${s.users.toLocaleString()} users known`);
    text($('http'), `${s.httpRequests.toLocaleString()} requests since start; up ${Math.round(s.uptimeSeconds)} s`);
    // A projection whose batch keeps failing (retried, never skipped) says so, with since when.
    const stalled = s.projections.filter((p) => p.stalled);
    text($('projections'), s.projections.map((p) => `${p.name} @ ${p.position}`).join(', '));
    text(
      $('stalled'),
      stalled
        .map(
          (p) =>
            `${p.name} stuck after ${p.stalled.position} since ${p.stalled.since} (${p.stalled.attempts} attempts; see the log)`,
        )
        .join('; '),
    );
    draw($('appendChart'), series.append);
    draw($('httpChart'), series.http);
    draw($('lagChart'), series.lag);
    const r = s.rebuild;
    const pct = r.head > 0 ? Math.min(100, (100 * r.position) / r.head) : r.running ? 0 : 100;
    $('rebuildBar').style.width = `${pct}%`;
    text(
      $('rebuildText'),
      r.running
        ? `rebuilding: ${r.position.toLocaleString()} of ${r.head.toLocaleString()} events (${pct.toFixed(1)}%)`
        : r.failedAt
          ? `last rebuild failed ${r.failedAt} (the live read models stayed): ${r.error}`
          : r.finishedAt
            ? `last rebuild finished ${r.finishedAt}`
            : 'idle',
    );
    showDeadLetters(await api('/api/v2/admin/dead-letters?limit=50'));
    const after = Math.max(0, s.head - 20);
    showEvents((await api(`/api/v2/events?after=${after}&limit=20`)).events);
    text($('error'), '');
  } catch (e) {
    text($('error'), e.message);
  }
}

const rebuild = (allowSkips) => api(`/api/v2/admin/rebuild${allowSkips ? '?allowSkips=true' : ''}`, { method: 'POST' });

$('rebuild').onclick = async () => {
  if (!confirm('Build every read model anew from the whole log, and swap it in?')) return;
  try {
    await rebuild(false);
  } catch (e) {
    // A rebuild that would skip undecodable events says so first: the operator decides.
    if (!e.message.includes('RebuildWouldSkip') || !confirm(`${e.message}\n\nRebuild anyway, without them?`))
      text($('error'), e.message);
    else
      await rebuild(true).catch((again) => {
        text($('error'), again.message);
      });
  }
  tick();
};

$('retryDead').onclick = async () => {
  if (!confirm('Try every dead letter again, in a rebuild beside the live read models?')) return;
  try {
    await api('/api/v2/admin/dead-letters/retry', { method: 'POST' });
  } catch (e) {
    text($('error'), e.message);
  }
  tick();
};

tick();
setInterval(tick, 2000);
