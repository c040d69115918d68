import * as t from 'io-ts';
import { LIMITS } from './bounds.js';
import type { JsonObject } from './json.js';

// Free-form JSON that the broker stores as given (`opts`, profile `attributes`): a JSON object
// of bounded depth (as schema/json.ts's JsonObjectC) and bounded in size, whatever the body limit is set to,
// so an event accepted under a large MSGXC_BODY_LIMIT still decodes under any other.
export const PAYLOAD_LIMITS = {
  /** Every value counts once: objects, arrays, strings, numbers, booleans, nulls. */
  values: 4096,
  /** Characters of all keys and strings together. */
  chars: 65_536,
  key: LIMITS.tag,
} as const;

type Walk = { ok: true; negativeZero: boolean } | { ok: false; why: string };

const MAX_DEPTH = 32;

// One iterative pass checks everything (JSON types, finite numbers, depth, size), so a hostile
// shape cannot exhaust the stack, and the append guard (commands/handler.ts) pays for one walk.
const walk = (root: unknown): Walk => {
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return { ok: false, why: 'not an object' };
  const stack: unknown[] = [root];
  const depths: number[] = [0];
  let values = 0;
  let chars = 0;
  let negativeZero = false;
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop() ?? 0;
    if (++values > PAYLOAD_LIMITS.values) return { ok: false, why: `more than ${PAYLOAD_LIMITS.values} values` };
    if (typeof v === 'string') chars += v.length;
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { ok: false, why: 'a number JSON cannot hold' };
      negativeZero ||= Object.is(v, -0);
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= MAX_DEPTH) return { ok: false, why: `nesting deeper than ${MAX_DEPTH}` };
      if (Array.isArray(v)) {
        for (const x of v as unknown[]) {
          stack.push(x);
          depths.push(depth + 1);
        }
      } else {
        const o = v as Record<string, unknown>;
        for (const k of Object.keys(o)) {
          if (k.length > PAYLOAD_LIMITS.key)
            return { ok: false, why: `a key longer than ${PAYLOAD_LIMITS.key} characters` };
          chars += k.length;
          stack.push(o[k]);
          depths.push(depth + 1);
        }
      }
    } else if (typeof v !== 'boolean' && v !== null) return { ok: false, why: 'a value JSON cannot hold' };
    if (chars > PAYLOAD_LIMITS.chars)
      return { ok: false, why: `more than ${PAYLOAD_LIMITS.chars} characters of keys and strings` };
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
  (u): u is JsonObject => {
    const w = walk(u);
    return w.ok && !w.negativeZero;
  },
  (u, c) => {
    const w = walk(u);
    if (!w.ok) return t.failure(u, c, `expected a ${NAME}: got ${w.why}`);
    return t.success(w.negativeZero ? (JSON.parse(JSON.stringify(u)) as JsonObject) : (u as JsonObject));
  },
  t.identity,
);
