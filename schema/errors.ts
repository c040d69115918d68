import type * as t from 'io-ts';

// Turns io-ts errors into messages that name the offending field by its path
// (`opts.urgency`, `uids.3`), which is what API clients and operators need to fix a request.
// io-ts puts union/intersection member indexes into the path as numeric keys; keep a numeric
// key only where the value it indexes into is an array, i.e. a real element index.
export const errorPath = (e: t.ValidationError): string =>
  e.context
    .filter((c, i) => c.key !== '' && (!/^\d+$/.test(c.key) || Array.isArray(e.context[i - 1]?.actual)))
    .map((c) => c.key)
    .join('.');

// Values of secret-looking fields are never echoed back (they end up in logs and terminals).
const SECRET = /SECRET|PASSWORD|TOKEN|PRIVATE|_KEY$/i;

export const describeError = (e: t.ValidationError): { field: string; msg: string } => {
  const field = errorPath(e) || '(body)';
  const last = e.context[e.context.length - 1];
  const expected = e.message ?? (last ? `expected ${last.type.name}` : 'invalid value');
  const got = e.value === undefined ? 'missing'
    : SECRET.test(field) ? 'value hidden'
    : `got ${JSON.stringify(e.value).slice(0, 60)}`;
  return { field, msg: `${field}: ${expected} (${got})` };
};

export const describeErrors = (errors: t.Errors): string[] => {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    const { field, msg } = describeError(e);
    if (seen.has(field)) continue;
    seen.add(field);
    out.push(msg);
  }
  return out;
};
