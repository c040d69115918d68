/* global document, fetch, sessionStorage */
// The admin page's forms (issue 14): a system message (broadcast, or multicast to listed
// users), a user look-up (profile and presence), a thread's settings (name, open to subscribers
// and publishers) and members. Everything
// it shows is set as text, never as HTML: profiles and names are user input.
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem('msgxc-admin-token') ?? '';

const api = async (path, init = {}) => {
  const res = await fetch(path, {
    ...init,
    headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${res.status} ${body.code ?? ''}: ${body.msg ?? res.statusText}`);
  return { body, headers: res.headers };
};
const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body) });
const show = (el, value) => {
  el.textContent = value;
};
const rows = (tbody, pairs) => {
  tbody.replaceChildren(
    ...pairs.map(([k, v]) => {
      const tr = document.createElement('tr');
      for (const cell of [k, v]) {
        const td = document.createElement('td');
        td.textContent = typeof cell === 'string' ? cell : JSON.stringify(cell);
        tr.append(td);
      }
      return tr;
    }),
  );
};
const guard = (el, fn) => async (event) => {
  event.preventDefault();
  try {
    await fn();
  } catch (e) {
    show(el, e.message);
  }
};

$('sysForm').onsubmit = guard($('sysResult'), async () => {
  const msg = $('sysMsg').value;
  const uids = $('sysUids')
    .value.split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  const r =
    uids.length === 0 ? await post('/api/v2/broadcast', { msg }) : await post('/api/v2/multicast', { msg, uids });
  show($('sysResult'), `sent: ${r.headers.get('x-message-id')}`);
});

$('userForm').onsubmit = guard($('userInfo'), async () => {
  const uid = encodeURIComponent($('userId').value.trim());
  const [p, presence] = await Promise.all([api(`/api/v2/users/${uid}/profile`), api(`/api/v2/presence/${uid}`)]);
  rows($('userInfo'), [
    ['uid', p.body.uid],
    ['email', p.body.email ?? '—'],
    ['cell', p.body.cell ?? '—'],
    ['channels', p.body.channels],
    ['devices', p.body.devices.length],
    ['online', presence.body.online ? `yes (${presence.body.sessions} sessions)` : 'no'],
  ]);
});

const openThread = async () => {
  const tid = encodeURIComponent($('threadId').value.trim());
  const [t, m] = await Promise.all([
    api(`/api/v2/threads/${tid}`),
    api(`/api/v2/threads/${tid}/subscribers?limit=200`),
  ]);
  const open = (yes, what) => `${yes ? 'open' : 'closed'} to ${what}`;
  show(
    $('threadInfo'),
    `${t.body.name ?? t.body.tid}: owner ${t.body.owner}, ${t.body.subscribers} subscribers, ` +
      `${open(t.body.opens, 'subscribers')}, ${open(t.body.openp, 'publishers')}`,
  );
  rows(
    $('members'),
    m.body.subscribers.map((s) => [s.uid, s.roles.join(', ')]),
  );
};
$('threadForm').onsubmit = guard($('threadInfo'), openThread);
// Only what the form changes is sent: POST /api/v2/threads/{tid}/settings takes any of the three.
$('settingsForm').onsubmit = guard($('threadInfo'), async () => {
  const tid = encodeURIComponent($('threadId').value.trim());
  const name = $('threadName').value.trim();
  const flag = (v) => (v === '' ? undefined : v === 'true');
  const body = {
    name: name === '' ? undefined : name,
    opens: flag($('threadOpens').value),
    openp: flag($('threadOpenp').value),
  };
  if (Object.values(body).every((v) => v === undefined))
    throw new Error('nothing to change: give a name or choose a setting');
  await post(`/api/v2/threads/${tid}/settings`, body);
  await openThread();
});
$('memberForm').onsubmit = guard($('threadInfo'), async () => {
  const tid = encodeURIComponent($('threadId').value.trim());
  await post(`/api/v2/threads/${tid}/members`, { uid: $('memberUid').value.trim(), role: $('memberRole').value });
  await openThread();
});
$('memberRemove').onclick = guard($('threadInfo'), async () => {
  const tid = encodeURIComponent($('threadId').value.trim());
  const uid = encodeURIComponent($('memberUid').value.trim());
  await api(`/api/v2/threads/${tid}/members/${uid}`, { method: 'DELETE' });
  await openThread();
});
