import * as t from 'io-ts';
import { LIMITS } from './bounds.js';
import { JsonObjectC, type JsonObject } from './json.js';

// Free-form JSON that the broker stores as given (`opts`, profile `attributes`): a JSON object
// of bounded depth (JsonObjectC), and bounded in size here, whatever the body limit is set to,
// so an event accepted under a large MSGXC_BODY_LIMIT still decodes under any other.
export const PAYLOAD_LIMITS = {
  /** Every value counts once: objects, arrays, strings, numbers, booleans, nulls. */
  values: 4096,
  /** Characters of all keys and strings together. */
  chars: 65_536,
  key: LIMITS.tag,
} as const;

type Walk = { ok: true; negativeZero: boolean } | { ok: false; why: string };

// Iterative, so a hostile shape cannot exhaust the stack; stops at the first bound crossed.
const walk = (root: JsonObject): Walk => {
  const stack: unknown[] = [root];
  let values = 0;
  let chars = 0;
  let negativeZero = false;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++values > PAYLOAD_LIMITS.values) return { ok: false, why: `more than ${PAYLOAD_LIMITS.values} values` };
    if (typeof v === 'string') chars += v.length;
    else if (typeof v === 'number') negativeZero ||= Object.is(v, -0);
    else if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k.length > PAYLOAD_LIMITS.key) return { ok: false, why: `a key longer than ${PAYLOAD_LIMITS.key} characters` };
        chars += k.length;
        stack.push(x);
      }
    }
    if (chars > PAYLOAD_LIMITS.chars) return { ok: false, why: `more than ${PAYLOAD_LIMITS.chars} characters of keys and strings` };
  }
  return { ok: true, negativeZero };
};

const NAME = `JSON object (depth <= 32, <= ${PAYLOAD_LIMITS.values} values, <= ${PAYLOAD_LIMITS.chars} characters)`;

/**
 * A bounded JSON object. Decoding yields the stored form: -0 (which JSON writes as 0) becomes
 * 0, so the value decided on is the value every log engine gives back.
 */
export const Payload = new t.Type<JsonObject, JsonObject, unknown>(
  NAME,
  (u): u is JsonObject => JsonObjectC.is(u) && walk(u).ok,
  (u, c) => {
    if (!JsonObjectC.is(u)) return t.failure(u, c, `expected a ${NAME}`);
    const w = walk(u);
    if (!w.ok) return t.failure(u, c, `expected a ${NAME}: got ${w.why}`);
    return t.success(w.negativeZero ? JSON.parse(JSON.stringify(u)) as JsonObject : u);
  },
  t.identity,
);
