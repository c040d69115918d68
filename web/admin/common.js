/* global document, fetch, sessionStorage, URLSearchParams */
// Shared by the admin pages. The token lives in this tab's sessionStorage and travels only in
// the Authorization header, never in a URL (URLs end up in access logs and history). Every
// value that comes from the broker is inserted as text (textContent, text nodes), never as
// HTML: message text, stream names and provider reasons are other people's input.
export const $ = (id) => document.getElementById(id);

const KEY = 'msgxc-admin-token';
export const token = () => sessionStorage.getItem(KEY) ?? '';

/** Wires the header's token field; `onToken` runs once now and after each "Use token". */
export const setupHeader = (onToken) => {
  $('token').value = token();
  $('save').onclick = () => {
    sessionStorage.setItem(KEY, $('token').value.trim());
    onToken();
  };
  for (const a of document.querySelectorAll('nav a'))
    if (a.getAttribute('href') === document.location.pathname) a.classList.add('here');
  if (token() !== '') onToken();
};

/** GET (or another method) a JSON route; a non-2xx answer throws with status, code and message. */
export const api = async (path, init = {}) => {
  const res = await fetch(path, { ...init, headers: { authorization: `Bearer ${token()}`, ...(init.headers ?? {}) } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const hint =
      res.status === 401 ? ' (give a valid token above)' : res.status === 403 ? ' (this token lacks the role)' : '';
    throw new Error(`${res.status} ${body.code ?? ''}: ${body.msg ?? res.statusText}${hint}`);
  }
  return body;
};

/** An element with attributes and children; strings become text nodes. */
export const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
};

export const row = (values, attrs = {}) =>
  el('tr', attrs, ...values.map((v) => el('td', {}, v === null || v === undefined ? '' : v)));

/** Shows an error (or clears it). */
export const showError = (e) => {
  $('error').textContent = e === undefined ? '' : e instanceof Error ? e.message : String(e);
};

/** A datetime-local field's value as ISO-8601 (the browser's time zone), or undefined when empty. */
export const isoOf = (value) => {
  if (value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

/** The value a datetime-local field shows for an instant. */
export const localValue = (date) => {
  const p = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`;
};

/** Query string of the non-empty parameters. */
export const qs = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  return q.toString();
};

/** A short, readable time (the full ISO instant in the tooltip). */
export const when = (iso) => {
  if (typeof iso !== 'string') return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { hour12: false });
};

export const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
