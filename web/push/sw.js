/* global self, URL, fetch */
// msgxc service worker: a notification for every push the broker sends, and on a click the
// page it names opened and the receipt posted, so triage skips the email step (README,
// "Browsers: web push"). Copy it into your app; it needs nothing else.
//
// The broker's base URL comes from the script URL (`sw.js?broker=https://broker.example`),
// else this worker's own origin. From another origin the broker must allow yours
// (MSGXC_CORS_ORIGINS); the receipt is posted without credentials, its token is the proof.
//
// The payload is what the broker's web push mapper sends (adapters/channels/webpush-mapper.ts):
//   { msg, opts, mid, slug, tid?, count?, truncated?, receipt? }
// The notification's title, icon, image and url are the sender's opts.title, opts.icon,
// opts.image and opts.url (what POST /notify stores there); the body is msg.
const BROKER = new URL(self.location.href).searchParams.get('broker') || self.location.origin;

const text = (v) => (typeof v === 'string' && v !== '' ? v : undefined);

// Only http(s) addresses: a payload cannot make a click open javascript:, data: or file: URLs.
const webUrl = (v) => {
  if (typeof v !== 'string' || v === '') return undefined;
  try {
    const u = new URL(v, self.location.origin);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
};

/** The notification a payload stands for; anything unexpected still gives one (userVisibleOnly). */
const notificationOf = (p) => {
  const ok = p !== null && typeof p === 'object';
  const opts = ok && p.opts !== null && typeof p.opts === 'object' && !Array.isArray(p.opts) ? p.opts : {};
  const count = ok && typeof p.count === 'number' && p.count > 1 ? p.count : 1;
  const title = text(opts.title) ?? (count > 1 ? `${count} new messages` : 'New message');
  const mid = ok ? text(p.mid) : undefined;
  const icon = webUrl(opts.icon);
  const image = webUrl(opts.image);
  return {
    title,
    options: {
      body: ok ? (text(p.msg) ?? '') : '',
      ...(icon !== undefined ? { icon } : {}),
      ...(image !== undefined ? { image } : {}),
      // One notification per message: a push sent again (a retry) replaces, not repeats, it.
      ...(mid !== undefined ? { tag: `msgxc:${mid}` } : {}),
      data: {
        mid,
        tid: ok ? text(p.tid) : undefined,
        url: webUrl(opts.url),
        receipt: ok ? text(p.receipt) : undefined,
      },
    },
  };
};

const payloadOf = (data) => {
  if (data === null || data === undefined) return undefined;
  try {
    return data.json();
  } catch {
    return { msg: data.text() };
  }
};

/** POST /api/v2/receipts/push with the signed token; the answer's status (0 when unreachable). */
const postReceipt = async (token, status) => {
  if (token === undefined) return 0;
  try {
    const r = await fetch(`${BROKER}/api/v2/receipts/push`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'omit',
      body: JSON.stringify({ token, status }),
    });
    return r.status;
  } catch {
    return 0;
  }
};

/** Focuses a window already on the url, else opens one; what it did. */
const open = async (url) => {
  if (url === undefined) return 'none';
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const same = windows.find((w) => w.url === url);
  if (same !== undefined) {
    await same.focus();
    return 'focused';
  }
  await self.clients.openWindow(url);
  return 'opened';
};

/**
 * A click: the receipt (it is what stops the email) and the page, neither waiting on the
 * other. Its outcome: the receipt's HTTP status (0: no token or unreachable) and the page's.
 */
const clicked = async (notification) => {
  notification.close();
  const data = notification.data ?? {};
  const [receipt, page] = await Promise.allSettled([postReceipt(data.receipt, 'clicked'), open(data.url)]);
  return {
    receipt: receipt.status === 'fulfilled' ? receipt.value : 0,
    open: page.status === 'fulfilled' ? page.value : `refused: ${String(page.reason?.message ?? page.reason)}`,
  };
};

self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// Open pages of this origin hear of each notification shown ({type: 'msgxc:shown', mid,
// title}): one can refresh its inbox or unread count without a websocket. It is also what the
// browser test waits on.
const tell = async (message) => {
  for (const c of await self.clients.matchAll({ type: 'window', includeUncontrolled: true })) c.postMessage(message);
};

self.addEventListener('push', (event) => {
  const { title, options } = notificationOf(payloadOf(event.data));
  event.waitUntil(
    self.registration
      .showNotification(title, options)
      .then(() => tell({ type: 'msgxc:shown', mid: options.data.mid ?? null, tag: options.tag ?? null, title })),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(clicked(event.notification));
});

// Test hook (browsers offer no way to click a notification from a script or the DevTools
// protocol): a page of this origin sends {type: 'msgxc:click', tag} (with a MessagePort for the
// answer) and the notification with that tag goes through the same click path; the answer
// carries the receipt's HTTP status and what became of the page (a window can only be opened
// or focused during a real click, so from the hook the browser refuses it).
// It grants a page nothing it could not do itself (it could post the token it reads from
// getNotifications()). Delete it if you like.
self.addEventListener('message', (event) => {
  const m = event.data;
  if (m === null || typeof m !== 'object' || m.type !== 'msgxc:click' || typeof m.tag !== 'string') return;
  event.waitUntil(
    self.registration.getNotifications({ tag: m.tag }).then(async (found) => {
      const outcome = found[0] === undefined ? { receipt: 0, open: 'none' } : await clicked(found[0]);
      const answer = { type: 'msgxc:clicked', tag: m.tag, found: found.length, ...outcome };
      (event.ports[0] ?? event.source)?.postMessage(answer);
    }),
  );
});
