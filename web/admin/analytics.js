// The analytics page: message volume per time window, messages by the delivery status their
// recipients reached, and the failure reasons in the log, over one range. The numbers come
// from sources.js as data arrays; the charts (charts.js) only draw arrays.
import { barChart, hBarChart } from './charts.js';
import { $, localValue, isoOf, setupHeader, showError } from './common.js';
import { failureReasons, outcomes, volume } from './sources.js';

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

const draw = async () => {
  try {
    const { since, until } = range();
    const n = Number($('buckets').value);
    $('rangeInfo').textContent =
      `${since.toLocaleString()} – ${until.toLocaleString()}, ${n} windows of ${Math.round((until - since) / n / 60_000)} min`;
    const [vol, outs] = await Promise.all([volume(since, until, n, filters()), outcomes(since, until, filters())]);
    barChart($('volume'), vol, { title: 'messages per window' });
    $('volumeTotal').textContent = vol.reduce((a, d) => a + d.value, 0).toLocaleString();
    hBarChart($('outcomes'), outs, { labelWidth: 90, title: 'messages by status reached' });
    showError();
    try {
      const r = await failureReasons(since, until);
      hBarChart($('reasons'), r.rows.slice(0, 12), { labelWidth: 520, labelChars: 80, title: 'failure reasons' });
      $('reasonsInfo').textContent =
        `${r.scanned} failure(s) in the log in this range` +
        (r.rows.length > 12 ? `; the 12 most frequent of ${r.rows.length} reasons shown` : '') +
        (r.complete ? '' : '; more in the log than read here (narrow the range)');
    } catch (e) {
      $('reasons').replaceChildren();
      $('reasonsInfo').textContent = `Read from the log, for admins and auditors: ${e.message}`;
    }
  } catch (e) {
    for (const id of ['volume', 'outcomes', 'reasons']) $(id).replaceChildren();
    $('volumeTotal').textContent = '–';
    showError(e);
  }
};

$('range').onsubmit = (ev) => {
  ev.preventDefault();
  void draw();
};
setupHeader(() => void draw());
