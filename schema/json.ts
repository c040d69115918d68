import * as t from 'io-ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = Record<string, JsonValue>;

/**
 * The deepest nesting the broker accepts anywhere (bodies, frames, stored payloads).
 * MSGXC_JSON_MAX_DEPTH may lower it, never raise it: the stored-event codecs below accept
 * this much, so whatever the write side took, the read side decodes.
 */
export const JSON_MAX_DEPTH_CEILING = 32;

const isJson = (u: unknown, depth: number): boolean => {
  if (depth > JSON_MAX_DEPTH_CEILING) return false;
  if (u === null || typeof u === 'boolean' || typeof u === 'string') return true;
  if (typeof u === 'number') return Number.isFinite(u);
  if (Array.isArray(u)) return u.every((x) => isJson(x, depth + 1));
  if (typeof u === 'object') return Object.values(u).every((x) => isJson(x, depth + 1));
  return false;
};

// Free-form user payloads (`opts`, `opts.data`, attributes) are JSON objects of bounded depth;
// the body size limit bounds their width.
export const JsonObjectC = new t.Type<JsonObject, JsonObject, unknown>(
  'JsonObject',
  (u): u is JsonObject => typeof u === 'object' && u !== null && !Array.isArray(u) && isJson(u, 0),
  (u, c) =>
    typeof u === 'object' && u !== null && !Array.isArray(u) && isJson(u, 0)
      ? t.success(u as JsonObject)
      : t.failure(u, c),
  t.identity,
);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COLON = 0x3a;

/**
 * JSON text's structure by one pass over the characters and no recursion (brackets and colons
 * inside strings do not count): whether it nests containers deeper than `max` (the pass stops
 * there), and how many object members it writes, one `:` each (schema/duplicate-keys.ts). For
 * any text JSON.parse accepts the depth is exact; other text is refused by the parser anyway.
 */
export const jsonStructure = (text: string, max: number): { tooDeep: boolean; members: number } => {
  let depth = 0;
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === COLON) members += 1;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth += 1;
      if (depth > max) return { tooDeep: true, members };
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth -= 1;
  }
  return { tooDeep: false, members };
};

/**
 * Whether JSON text nests containers deeper than `max`. Run BEFORE parsing, so that nothing
 * (the parser, a codec, JSON.stringify in an error message) ever walks a value deep enough to
 * exhaust the stack.
 */
export const nestingExceeds = (text: string, max: number): boolean => jsonStructure(text, max).tooDeep;

// JSON exchanged between systems is UTF-8 (RFC 8259, section 8.1). A lenient decoder turns
// every byte that is not (Latin-1 `é` from a client that declared another charset, a cut
// sequence) into U+FFFD, so the broker would acknowledge text other than what was sent: the
// body is refused instead, as the user import refuses such a line (schema/user-import.ts).
// A byte order mark stays in the text, as before: JSON.parse refuses it with its position.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes from outside as text, or undefined when they are not UTF-8. */
export const utf8Text = (bytes: Uint8Array): string | undefined => {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
};

/**
 * A form body's fields (`application/x-www-form-urlencoded`), the last of a repeated name
 * winning, or undefined when a percent-escape is malformed or decodes to bytes that are not
 * UTF-8 (URLSearchParams would put U+FFFD in their place).
 */
export const formFields = (text: string): Record<string, string> | undefined => {
  const fields: Record<string, string> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const [rawName, rawValue] = at === -1 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    try {
      const name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
      Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
    } catch {
      return undefined;
    }
  }
  return fields;
};

/** The boundary of a `multipart/form-data` content type (RFC 2046: 1..70 characters), if any. */
export const multipartBoundary = (contentType: string): string | undefined => {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType);
  return m?.[1] ?? m?.[2];
};

/**
 * A `multipart/form-data` body's text fields (RFC 7578), the last of a repeated name winning,
 * as Tornado's `get_argument` read them for seed 003's server: what PHP's curl with an array,
 * Python's requests with `files=` and `curl -F` send. A file part (one with a `filename`) is no
 * argument there either, and is left out. Undefined when the body is not such a body or a
 * field is not UTF-8.
 */
export const multipartFields = (body: Buffer, boundary: string): Record<string, string> | undefined => {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string> = {};
  let at = body.indexOf(delimiter);
  if (at === -1) return undefined;
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return fields;
    // The delimiter line ends with optional whitespace, then CRLF.
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1 || body.subarray(at, lineEnd).toString().trim() !== '') return undefined;
    const headersEnd = body.indexOf('\r\n\r\n', lineEnd);
    if (headersEnd === -1) return undefined;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 2);
    if (next === -1) return undefined;
    const headers = body.subarray(lineEnd + 2, headersEnd).toString('latin1');
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1];
    if (disposition === undefined) return undefined;
    const name = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    if (!/(?:^|;)\s*filename\*?=/i.test(disposition)) {
      const value = utf8Text(body.subarray(headersEnd + 4, next));
      const key = utf8Text(Buffer.from(name, 'latin1'));
      if (value === undefined || key === undefined) return undefined;
      Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
    }
    at = next + 2;
  }
};

// A lone surrogate (`"\\ud800"`, valid JSON) is no character: the log keeps it, escaped, but
// every store of text does not (SQLite read models give it back as three U+FFFD, Cassandra,
// Elasticsearch, pushes and emails as one), so a value answered 2xx would be read back other
// than it was sent, and longer than its bound. Surrogate pairs are ordinary characters.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const pathOf = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

/**
 * Where a parsed JSON value holds a lone surrogate, in a string or a key: the path of the
 * value (`opts.tags.1`), or of the object with such a key, and what is wrong; undefined when
 * there is none. Parsed JSON within the depth limit only (the recursion follows its depth).
 */
export const loneSurrogate = (u: unknown, path = ''): { path: string; what: string } | undefined => {
  if (typeof u === 'string') {
    const at = u.search(LONE_SURROGATE);
    return at === -1 ? undefined : { path, what: `a lone UTF-16 surrogate at index ${at}` };
  }
  if (Array.isArray(u)) {
    for (let i = 0; i < u.length; i += 1) {
      const found = loneSurrogate(u[i], pathOf(path, i));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof u === 'object' && u !== null)
    for (const [k, v] of Object.entries(u)) {
      if (LONE_SURROGATE.test(k)) return { path, what: 'a key with a lone UTF-16 surrogate' };
      const found = loneSurrogate(v, pathOf(path, k));
      if (found !== undefined) return found;
    }
  return undefined;
};

/** A string cut to `max` characters, marked when cut. */
export const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s);

export type ParsedJson =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly tooDeep: boolean; readonly detail: string };

/** Untrusted JSON text to a value: refused (as a value, not a throw) when malformed or deeper than `maxDepth`. */
export const parseJson = (text: string, maxDepth: number): ParsedJson => {
  if (nestingExceeds(text, maxDepth))
    return { ok: false, tooDeep: true, detail: `nested deeper than ${maxDepth} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    // V8's messages quote a bounded excerpt of the text; bound them again all the same.
    return { ok: false, tooDeep: false, detail: clip(e instanceof Error ? e.message : 'parse error', 200) };
  }
};

/**
 * A short description of an untrusted value for an error message: a string's first
 * characters, a number, or the kind and size of a container with a few of its keys. It
 * looks one level deep and never recurses, so no value (deep, wide, huge, hostile getters
 * aside: parsed JSON has none) makes it slow or large.
 */
export const preview = (u: unknown, max = 60): string => {
  if (u === undefined) return 'nothing';
  if (u === null || typeof u === 'boolean' || typeof u === 'number') return String(u);
  if (typeof u === 'string')
    return u.length > max ? `${JSON.stringify(u.slice(0, max))}… (${u.length} characters)` : JSON.stringify(u);
  if (Array.isArray(u)) return `an array of ${u.length} item${u.length === 1 ? '' : 's'}`;
  if (typeof u === 'object') {
    const keys: string[] = [];
    let count = 0;
    for (const k in u) {
      if (!Object.prototype.hasOwnProperty.call(u, k)) continue;
      count += 1;
      if (keys.length < 3) keys.push(JSON.stringify(clip(k, 20)));
    }
    return count === 0
      ? 'an empty object'
      : `an object with key${count === 1 ? '' : 's'} ${keys.join(', ')}${count > 3 ? `, … (${count} keys)` : ''}`;
  }
  return typeof u;
};
