/* global document, window, navigator, location, fetch, atob, Notification, URL, setTimeout, clearTimeout */
// The msgxc web push page (web/push/): registers the service worker, asks for permission,
// subscribes with the broker's VAPID key and enlists the subscription for the signed-in user.
// Copy it into your app: the steps are exported on window.msgxcPush for your own buttons.
const root = document.documentElement;
const BROKER = root.dataset.broker || location.origin;
const WORKER = root.dataset.worker || '/push/sw.js';

const status = (text, error = false) => {
  const el = document.getElementById('status');
  el.textContent = text;
  el.className = error ? 'error' : '';
};

// The VAPID key is base64url (GET /api/v2/webpush/vapid-key); PushManager wants its bytes.
const bytesOf = (b64url) => {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
};

const failure = async (what, r) => {
  let msg = '';
  try {
    msg = (await r.json()).msg ?? '';
  } catch {
    // not JSON: the status says enough
  }
  return new Error(`${what}: HTTP ${r.status}${msg === '' ? '' : ` (${msg})`}`);
};

// Subscribing needs an active worker. (navigator.serviceWorker.ready would not do: it waits
// for a worker whose scope holds this page, and the page need not be in the worker's scope.)
const activated = (worker) =>
  new Promise((resolve) => {
    if (worker.state === 'activated') return resolve();
    worker.addEventListener('statechange', () => worker.state === 'activated' && resolve());
  });

/** The worker's registration, once active; the worker learns the broker from its script URL. */
const register = async () => {
  const url = new URL(WORKER, location.href);
  if (BROKER !== location.origin) url.searchParams.set('broker', BROKER);
  const registration = await navigator.serviceWorker.register(url.href);
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  if (worker) await activated(worker);
  return registration;
};

const vapidKey = async () => {
  const r = await fetch(`${BROKER}/api/v2/webpush/vapid-key`);
  if (!r.ok) throw await failure('the broker has no web push key', r);
  return bytesOf((await r.json()).publicKey);
};

// A browser that cannot reach its push service may never settle the subscription (headless
// Chromium without Google's servers waits for ever): the user is told after SUBSCRIBE_MS.
const SUBSCRIBE_MS = 30_000;
const subscribe = async (registration) => {
  const existing = await registration.pushManager.getSubscription();
  if (existing) return existing;
  const applicationServerKey = await vapidKey();
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("the browser's push service did not answer")), SUBSCRIBE_MS);
  });
  try {
    return await Promise.race([
      registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey }),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/** POST /api/v2/enlist with the subscription's JSON ({endpoint, expirationTime, keys}). */
const enlist = async (token, subscription) => {
  const r = await fetch(`${BROKER}/api/v2/enlist`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(subscription),
  });
  if (!r.ok) throw await failure('enlisting failed', r);
};

const enable = async (token) => {
  if (!('serviceWorker' in navigator) || !('PushManager' in window))
    throw new Error('this browser has no web push (service workers need https or localhost)');
  if (token === '') throw new Error('enter your access token first');
  status('registering the service worker…');
  const registration = await register();
  if ((await Notification.requestPermission()) !== 'granted') throw new Error('notifications are not allowed');
  status('subscribing…');
  const subscription = await subscribe(registration);
  status('enlisting…');
  await enlist(token, subscription.toJSON());
  status('notifications are on');
};

window.msgxcPush = { register, vapidKey, subscribe, enlist, enable };

document.getElementById('enable').addEventListener('click', () => {
  enable(document.getElementById('token').value.trim()).catch((e) => status(String(e.message ?? e), true));
});
