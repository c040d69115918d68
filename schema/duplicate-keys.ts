import { jsonStructure } from './json.js';

// JSON.parse keeps the last of a repeated key. A proxy or gateway in front of the broker may
// read the first one, so `{"uid":"alice","uid":"bob"}` could be checked as alice's and run as
// bob's; I-JSON (RFC 7493, section 2.3) says names must be unique. The strict API refuses such a
// body, naming the key. The check costs one scan of the text and one walk of the parsed value:
// a member of valid JSON is exactly one `:` outside strings, so the text has more members than
// the value has keys only when a key came twice. Only then is the text walked to find which.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The keys the parsed value kept (it is within the depth limit: the recursion follows it). */
const membersKept = (u: unknown): number => {
  if (typeof u !== 'object' || u === null) return 0;
  let n = 0;
  if (Array.isArray(u)) {
    for (const v of u) n += membersKept(v);
    return n;
  }
  for (const k in u) {
    n += 1;
    n += membersKept((u as Record<string, unknown>)[k]);
  }
  return n;
};

const pathOf = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

/** A walk of text JSON.parse accepted, to the first key an object repeats. */
const locate = (text: string): string | undefined => {
  let i = 0;
  const space = (): void => {
    while (i < text.length && /\s/.test(text.charAt(i))) i += 1;
  };
  const string = (): string => {
    const start = i;
    i += 1;
    while (i < text.length && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
    i += 1;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): string | undefined => {
    space();
    const c = text.charAt(i);
    if (c === '{') {
      i += 1;
      const seen = new Set<string>();
      for (;;) {
        space();
        // The end of the text inside an object: not JSON.parse's text after all.
        if (i >= text.length) return undefined;
        if (text.charAt(i) === '}') break;
        const key = string();
        if (seen.has(key)) return pathOf(path, key);
        seen.add(key);
        space();
        i += 1; // ':'
        const found = value(pathOf(path, key));
        if (found !== undefined) return found;
        space();
        if (text.charAt(i) === ',') i += 1;
      }
      i += 1;
      return undefined;
    }
    if (c === '[') {
      i += 1;
      for (let n = 0; ; n += 1) {
        space();
        if (i >= text.length) return undefined;
        if (text.charAt(i) === ']') break;
        const found = value(pathOf(path, n));
        if (found !== undefined) return found;
        space();
        if (text.charAt(i) === ',') i += 1;
      }
      i += 1;
      return undefined;
    }
    if (c === '"') string();
    else while (i < text.length && !/[\s,\]}]/.test(text.charAt(i))) i += 1;
    return undefined;
  };
  return value('');
};

/**
 * The path of a key given twice in one object of `text` (`uid`, `opts.tags`), or undefined.
 * `value` is what JSON.parse made of `text`, and `text` was within the depth limit.
 */
export const duplicateKey = (text: string, value: unknown): string | undefined => {
  if (
    typeof value !== 'object' ||
    value === null ||
    jsonStructure(text, Number.POSITIVE_INFINITY).members === membersKept(value)
  )
    return undefined;
  try {
    return locate(text);
  } catch {
    return undefined; // only text JSON.parse refused could make the walk throw
  }
};
