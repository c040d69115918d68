import { formFields, loneSurrogate, multipartBoundary, multipartFields, parseJson, utf8Text } from '../schema/json.js';
import { duplicateKey } from '../schema/duplicate-keys.js';
import { errors, type ApiError } from './errors.js';
import type { Captured } from './capture.js';

// A request's body as the route reads it: JSON (or a form, for the routes taking forms), with
// every refusal a 4xx naming what is wrong. Out of api/http.ts, which mounts and runs routes.
const JSONISH = /^(application\/([\w.+-]+\+)?json|application\/x-www-form-urlencoded|text\/plain)\b/i;
const FORM = /^application\/x-www-form-urlencoded\b/i;
const MULTIPART = /^multipart\/form-data\b/i;
const FORM_TYPES = 'application/json, application/x-www-form-urlencoded or multipart/form-data';

// A multipart form (what `curl -F` and PHP's curl with an array post; seed 003's Tornado
// server read its fields as it read a urlencoded form's), for the routes taking forms.
const multipartBody = (contentType: string, raw: Buffer): { body: unknown } | ApiError => {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) return errors.invalidBody(['(body): multipart/form-data without a boundary']);
  const fields = multipartFields(raw, boundary);
  return fields === undefined
    ? errors.invalidBody(['(body): not a multipart/form-data body of UTF-8 text fields with that boundary'])
    : { body: fields };
};

export const parseBody = (
  c: Captured,
  raw: Buffer | undefined,
  maxDepth: number,
  form = false,
  strict = false,
): { body: unknown } | ApiError => {
  // JSON, or what `curl -d` sends by default (form-urlencoded) and text/plain: msgxc's
  // users have always posted JSON that way. Anything else is clearly not JSON.
  if (form && MULTIPART.test(c.contentType)) return multipartBody(c.contentType, raw ?? Buffer.alloc(0));
  if (c.contentType !== '' && !JSONISH.test(c.contentType))
    return errors.unsupportedMediaType(form ? FORM_TYPES : undefined);
  // A route taking forms reads a form as its fields (the last of a repeated name wins), unless it is JSON after all.
  const text = utf8Text(raw ?? Buffer.alloc(0));
  if (text === undefined) return errors.badJson('not UTF-8');
  if (form && FORM.test(c.contentType) && !/^\s*[{[]/.test(text)) {
    const fields = formFields(text);
    return fields === undefined ? errors.badJson('a form field is not percent-encoded UTF-8') : { body: fields };
  }
  const parsed = parseJson(text, maxDepth);
  if (parsed.ok) {
    // Valid UTF-8 holds no surrogate, so only a `\uD8xx`..`\uDFxx` escape can make one.
    const lone = /\\u[dD][89a-fA-F]/.test(text) ? loneSurrogate(parsed.value) : undefined;
    if (lone !== undefined)
      return errors.invalidBody([
        `${lone.path === '' ? 'body' : lone.path}: ${lone.what} is no character; send text as UTF-8`,
      ]);
    // The strict API (/api/v2) refuses a repeated key; the compatibility routes keep the last, as
    // the systems they stand in for did (schema/duplicate-keys.ts).
    const twice = strict ? duplicateKey(text, parsed.value) : undefined;
    return twice === undefined
      ? { body: parsed.value }
      : errors.invalidBody([`${twice}: given more than once in one object; send each key once`]);
  }
  return parsed.tooDeep ? errors.tooDeep(maxDepth) : errors.badJson(parsed.detail);
};
