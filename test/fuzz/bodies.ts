import fc from 'fast-check';
import type { Schema } from './api-doc.js';
import { hostileValue } from './hostile.js';
import { at, raw, ref, rep, type IdKind, type Value } from './leaves.js';

// Request bodies from the operation's JSON schema in the OpenAPI document: values that conform
// (so that commands succeed often enough for the read-back oracle to matter), and the same
// values with one or two fields replaced by something hostile, removed, or joined by an
// unexpected one. Fields that hold ids refer to ids the run has seen (world.ts), by name:
// `tid`, `mid`(s), `uid`(s); the document says only that they are ids.
const ID_KINDS: Readonly<Record<string, IdKind>> = { tid: 'tid', mid: 'mid', mids: 'mid', uid: 'uid', uids: 'uid' };

const idArb = (name: string, pattern: string | undefined): fc.Arbitrary<Value> => {
  const kind = ID_KINDS[name];
  const literal =
    pattern === undefined ? fc.string({ minLength: 1, maxLength: 20 }) : fc.stringMatching(new RegExp(pattern));
  if (kind === undefined) return literal;
  return fc.oneof(
    { weight: 7, arbitrary: fc.nat({ max: 999 }).map((n) => ref(kind, n)) },
    { weight: 2, arbitrary: fc.constant(ref('fresh', 0)) },
    { weight: 1, arbitrary: literal },
  );
};

// Push services the broker allows by default, and endpoints it must refuse (422).
const endpointArb: fc.Arbitrary<Value> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((p) => `https://fcm.googleapis.com/fcm/send/${p}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .stringMatching(/^[a-z0-9]{1,20}$/)
      .map((p) => `https://updates.push.services.mozilla.com/wpush/v2/${p}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'http://fcm.googleapis.com/x',
      'https://169.254.169.254/latest/meta-data',
      'https://127.0.0.1:8080/x',
      'https://localhost/x',
      'https://evil.example/x',
      'https://fcm.googleapis.com.evil.example/x',
      'https://user:pass@fcm.googleapis.com/x',
      'https://[::1]/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://fcm.googleapis.com:444/x',
      'not a url',
    ),
  },
);

const stringArb = (name: string, s: Schema): fc.Arbitrary<Value> => {
  const pattern = typeof s['pattern'] === 'string' ? s['pattern'] : undefined;
  if (name in ID_KINDS) return idArb(name, pattern);
  if (s['format'] === 'uri') return endpointArb;
  if (s['format'] === 'date-time') return fc.integer({ min: 5_000, max: 86_400_000 }).map((d) => at('iso', d));
  if (name === 'email') return fc.constantFrom('a@b.co', '  x.y@example.org ', 'no-at-sign', '');
  if (name === 'cell') return fc.constantFrom('+14155550100', '+49 (30) 1234-5678', '12', '+0123456789');
  if (pattern !== undefined) return fc.stringMatching(new RegExp(pattern));
  const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
  const max = typeof s['maxLength'] === 'number' ? s['maxLength'] : 100;
  return fc.oneof(
    { weight: 8, arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, 24), unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.constantFrom(rep('m', max), rep('é', max), rep('m', max + 1)) },
  );
};

/** A JSON object of the free-form kind (`opts`, `attributes`): small, sometimes at a bound. */
const payloadArb: fc.Arbitrary<Value> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Value>, {
      maxKeys: 4,
    }),
  },
  { weight: 1, arbitrary: fc.constant(raw(`${'{"a":'.repeat(31)}1${'}'.repeat(31)}`)) },
  { weight: 1, arbitrary: fc.constant(raw('{"n":-0,"big":1e300,"tiny":5e-324,"u":"\\ud800"}')) },
);

export const valueFor = (schema: Schema, name: string): fc.Arbitrary<Value> => {
  if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as Value[]));
  if (Array.isArray(schema['oneOf'])) return fc.oneof(...(schema['oneOf'] as Schema[]).map((s) => valueFor(s, name)));
  const types = Array.isArray(schema['type']) ? (schema['type'] as string[]) : [String(schema['type'])];
  if (types.length > 1) return fc.oneof(...types.map((t) => valueFor({ ...schema, type: t }, name)));
  switch (types[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      if (schema['description'] === 'epoch ms')
        return fc.integer({ min: 5_000, max: 86_400_000 }).map((d) => at('ms', d));
      const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : -1000;
      const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : 1000;
      return fc.integer({ min, max });
    }
    case 'number':
      return fc.oneof(fc.integer({ min: 0, max: 2 ** 41 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    case 'string':
      return stringArb(name, schema);
    case 'array': {
      const items = (schema['items'] ?? {}) as Schema;
      const min = typeof schema['minItems'] === 'number' ? schema['minItems'] : 0;
      const max = typeof schema['maxItems'] === 'number' ? schema['maxItems'] : 8;
      return fc.array(valueFor(items, name), { minLength: min, maxLength: Math.min(max, Math.max(min, 4)) });
    }
    case 'object':
      return objectFor(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Value>;
  }
};

const objectFor = (schema: Schema): fc.Arbitrary<Value> => {
  const props = (schema['properties'] ?? {}) as Record<string, Schema>;
  if (Object.keys(props).length === 0) return payloadArb;
  const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
  const known = fc.record(Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valueFor(s, k)])), {
    requiredKeys: required.filter((k) => k in props),
  }) as fc.Arbitrary<Record<string, Value>>;
  // A free-form object that also interprets some keys (`opts`): the known keys plus free ones.
  // One that says `additionalProperties: false` takes no other key (/api/v2 refuses them).
  if (typeof schema['description'] === 'string' && schema['additionalProperties'] !== false)
    return fc
      .tuple(known, payloadArb)
      .map(([k, extra]) =>
        typeof extra === 'object' && extra !== null && !Array.isArray(extra) ? { ...extra, ...k } : k,
      );
  return known;
};

/** One change to a conforming value: a field replaced, removed, or an unexpected one added. */
export interface Mutation {
  readonly pick: number;
  readonly action: 'replace' | 'remove' | 'add';
  readonly value: Value;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  action: fc.constantFrom<Mutation['action']>('replace', 'replace', 'remove', 'add'),
  value: hostileValue,
});

type Container = Value[] | { [k: string]: Value };
/** Every field and element of a value (its container and key), outermost first. */
const slots = (v: Value, out: [Container, string | number][] = [], depth = 0): [Container, string | number][] => {
  if (depth > 6 || v === null || typeof v !== 'object') return out;
  const entries: [string | number, Value][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) {
    out.push([v, k]);
    slots(x, out, depth + 1);
  }
  return out;
};

/** The value with the mutations applied (on a copy); the whole value is replaced when it has no fields. */
export const mutate = (value: Value, mutations: readonly Mutation[]): Value => {
  let v = structuredClone(value);
  for (const mutation of mutations) {
    // A copy: generated constants are shared instances, and one inserted twice would nest in itself.
    const m = { ...mutation, value: structuredClone(mutation.value) };
    const places = slots(v);
    const place = places[m.pick % Math.max(places.length, 1)];
    if (place === undefined) {
      v = m.value;
      continue;
    }
    const [container, key] = place;
    if (Array.isArray(container) && typeof key === 'number') {
      if (m.action === 'remove') container.splice(key, 1);
      else if (m.action === 'add') container.push(m.value);
      else container[key] = m.value;
    } else if (!Array.isArray(container)) {
      if (m.action === 'remove') Reflect.deleteProperty(container, key);
      else if (m.action === 'add') container[`x${m.pick % 7}`] = m.value;
      else container[key] = m.value;
    }
  }
  return v;
};
