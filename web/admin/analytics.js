// The analytics page: message volume per time window, messages by the delivery status their
// recipients reached, and the failure reasons in the log, over one range. The numbers come
// from sources.js as data arrays; the charts (charts.js) only draw arrays.
import { barChart, hBarChart } from './charts.js';
import { $, localValue, isoOf, setupHeader, showError } from './common.js';
import { failureReasons, funnel, intervalFor, onlineTime, outcomes, timeseries, volume } from './sources.js';

const now = new Date();
$('until').value = localValue(new Date(now.getTime() + 60_000));
$('since').value = localValue(new Date(now.getTime() - 24 * 3600_000));

const range = () => {
  const since = new Date(isoOf($('since').value) ?? Date.now() - 24 * 3600_000);
  const until = new Date(isoOf($('until').value) ?? Date.now());
  if (until <= since) throw new Error('until: must be later than since');
  return { since, until };
};

const filters = () => {
  const f = {};
  for (const k of ['tid', 'sender', 'text']) if ($(k).value.trim() !== '') f[k] = $(k).value.trim();
  return f;
};

const ROUTE_CHARTS = ['funnel', 'series', 'online', 'onlineTop'];

// The analytics routes' charts: the funnel of the range, and per interval (the finest with at
// most 1000 buckets) the published messages and the online time.
const drawRoutes = async (since, until, stale) => {
  const interval = intervalFor(since, until);
  const [f, series, online] = await Promise.all([
    funnel(since, until, filters()),
    interval === null ? null : timeseries(since, until, interval),
    interval === null ? null : onlineTime(since, until, interval),
  ]);
  if (stale()) return;
  hBarChart($('funnel'), f.rows, { labelWidth: 90, title: 'delivery funnel' });
  $('funnelInfo').textContent = `${f.messages} message(s) published in the range`;
  if (series === null || online === null) {
    for (const id of ['series', 'online', 'onlineTop']) $(id).replaceChildren();
    $('seriesInfo').textContent = 'The range is longer than 1000 days: narrow it for charts per interval.';
    $('onlineInfo').textContent = '';
    $('onlineTotal').textContent = '–';
    return;
  }
  barChart($('series'), series, { title: `messages per ${interval}` });
  $('seriesInfo').textContent = `${series.length} ${interval}(s)`;
  barChart($('online'), online.buckets, { title: `session seconds per ${interval}` });
  hBarChart($('onlineTop'), online.top, { labelWidth: 160, title: 'top users by session seconds' });
  $('onlineTotal').textContent = `${online.onlineSeconds.toLocaleString()} s`;
  $('onlineInfo').textContent = `${online.users} user(s) online; two tabs count twice (session time)`;
};

// A draw whose answers come back after a newer draw started is dropped: with a slow engine the
// first load's 24 windows could otherwise land after (and over) the 12 the user just asked for.
let latest = 0;
const draw = async () => {
  const mine = ++latest;
  const stale = () => mine !== latest;
  try {
    const { since, until } = range();
    const n = Number($('buckets').value);
    $('rangeInfo').textContent =
      `${since.toLocaleString()} – ${until.toLocaleString()}, ${n} windows of ${Math.round((until - since) / n / 60_000)} min`;
    const [vol, outs] = await Promise.all([volume(since, until, n, filters()), outcomes(since, until, filters())]);
    if (stale()) return;
    barChart($('volume'), vol, { title: 'messages per window' });
    $('volumeTotal').textContent = vol.reduce((a, d) => a + d.value, 0).toLocaleString();
    hBarChart($('outcomes'), outs, { labelWidth: 90, title: 'messages by status reached' });
    showError();
    await drawRoutes(since, until, stale);
    try {
      const r = await failureReasons(since, until);
      if (stale()) return;
      hBarChart($('reasons'), r.rows.slice(0, 12), { labelWidth: 520, labelChars: 80, title: 'failure reasons' });
      $('reasonsInfo').textContent =
        `${r.scanned} failure(s) in the log in this range` +
        (r.rows.length > 12 ? `; the 12 most frequent of ${r.rows.length} reasons shown` : '') +
        (r.complete ? '' : '; more in the log than read here (narrow the range)');
    } catch (e) {
      if (stale()) return;
      $('reasons').replaceChildren();
      $('reasonsInfo').textContent = `Read from the log, for admins and auditors: ${e.message}`;
    }
  } catch (e) {
    if (stale()) return;
    for (const id of ['volume', 'outcomes', 'reasons', ...ROUTE_CHARTS]) $(id).replaceChildren();
    $('volumeTotal').textContent = '–';
    showError(e);
  }
};

$('range').onsubmit = (ev) => {
  ev.preventDefault();
  void draw();
};
setupHeader(() => void draw());
