import type * as t from 'io-ts';
import { preview } from './json.js';

// Which keys of a request body its codec does not know (`urgncy`, `thread.foo`,
// `variants.1.wieght`), so that /api/v2 can refuse a typo instead of sending at the default
// (api/route.ts decides where it applies: the compatibility surfaces ignore such keys, as the
// systems they replace did).
//
// The check is compiled once per codec from the io-ts structure: an object codec (`t.type`,
// `t.partial`, `t.exact`, an intersection of them) is closed, its known keys a Set; an array
// checks its elements; a union checks the member that takes the value, as io-ts chose it. Any
// other codec is opaque and free-form by design: `opts` and profile `attributes` (custom
// t.Types over schema/payload.ts: msgxc passed `opts` through to push payloads),
// `t.unknown` (a segment `query`, checked by its own decoder), scalars. At run time it is a
// loop over Object.keys of the already parsed body: no second parse, no reviver.

/** A compiled check: pushes `path: message` for each unknown key it finds, until `out` is full. */
type Check = (value: unknown, path: string, out: string[]) => void;

/** At most this many keys are named in one answer (schema/errors.ts describes as many problems). */
export const MAX_UNKNOWN_KEYS = 10;

/** The parts of an io-ts codec the compiler reads (its `_tag` says which it has). */
interface Tagged {
  readonly _tag?: string;
  readonly props?: Readonly<Record<string, Tagged>>;
  readonly type?: Tagged;
  readonly types?: readonly Tagged[];
  readonly codomain?: Tagged;
  readonly name: string;
  is(u: unknown): boolean;
}

// Objects made by someone else's code that /api/v2 passes on as they come, dropping the keys it
// does not know rather than refusing them: a web push subscription is what the browser's
// `PushSubscription.toJSON()` returns, and the Push API leaves its dictionary, and `keys` (a
// record), open to new members; a browser that adds one must not be refused its enlistment.
const openByDesign = new WeakSet<object>();
/** The codec, marked as one whose unknown keys are not refused (the codec itself may drop them). */
export const keepsUnknownKeys = <C extends object>(codec: C): C => {
  openByDesign.add(codec);
  return codec;
};

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** A key as the client wrote it, or escaped and cut when it would not print as one (as for query names). */
const shown = (key: string): string => (/^[\w-]{1,64}$/.test(key) ? key : preview(key, 40));
const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** An object codec's known keys and the checks of their values; undefined when not a closed object. */
interface Shape {
  readonly props: Map<string, Check[]>;
}

const shapeOf = (codec: Tagged, seen: Map<Tagged, Check | undefined>): Shape | undefined => {
  if (openByDesign.has(codec)) return undefined;
  switch (codec._tag) {
    case 'InterfaceType':
    case 'PartialType':
    case 'StrictType': {
      const props = new Map<string, Check[]>();
      for (const [k, v] of Object.entries(codec.props ?? {})) {
        const c = compile(v, seen);
        props.set(k, c === undefined ? [] : [c]);
      }
      return { props };
    }
    case 'ExactType':
    case 'ReadonlyType':
    case 'RefinementType':
      return codec.type === undefined ? undefined : shapeOf(codec.type, seen);
    case 'IntersectionType': {
      // Closed only when every member is: a member of another kind may take any key.
      const props = new Map<string, Check[]>();
      for (const m of codec.types ?? []) {
        const s = shapeOf(m, seen);
        if (s === undefined) return undefined;
        for (const [k, cs] of s.props) props.set(k, [...(props.get(k) ?? []), ...cs]);
      }
      return { props };
    }
    default:
      return undefined;
  }
};

const closedCheck = (shape: Shape): Check => {
  const known = new Set(shape.props.keys());
  const expected = `unknown field (expected ${known.size === 0 ? 'none' : `one of ${[...known].join(', ')}`})`;
  // Only the keys whose values have something to check are visited after the key loop.
  const nested = [...shape.props].filter(([, cs]) => cs.length > 0);
  return (value, path, out) => {
    if (!isRecord(value)) return;
    for (const k of Object.keys(value)) {
      if (out.length >= MAX_UNKNOWN_KEYS) return;
      if (!known.has(k)) out.push(`${join(path, shown(k))}: ${expected}`);
    }
    for (const [k, cs] of nested) {
      const v = value[k];
      if (v === undefined) continue;
      for (const c of cs) c(v, join(path, k), out);
    }
  };
};

const compile = (codec: Tagged, seen: Map<Tagged, Check | undefined>): Check | undefined => {
  if (seen.has(codec)) return seen.get(codec);
  // A recursive codec meets itself: opaque on the way in (none of the bodies is recursive).
  seen.set(codec, undefined);
  const check = compileNew(codec, seen);
  seen.set(codec, check);
  return check;
};

const compileNew = (codec: Tagged, seen: Map<Tagged, Check | undefined>): Check | undefined => {
  if (openByDesign.has(codec)) return undefined;
  const shape = shapeOf(codec, seen);
  if (shape !== undefined) return closedCheck(shape);
  switch (codec._tag) {
    case 'ExactType':
    case 'ReadonlyType':
    case 'RefinementType':
      return codec.type === undefined ? undefined : compile(codec.type, seen);
    case 'ArrayType':
    case 'ReadonlyArrayType': {
      const item = codec.type === undefined ? undefined : compile(codec.type, seen);
      if (item === undefined) return undefined;
      return (value, path, out) => {
        if (!Array.isArray(value)) return;
        for (let i = 0; i < value.length && out.length < MAX_UNKNOWN_KEYS; i++)
          item(value[i], join(path, String(i)), out);
      };
    }
    case 'DictionaryType': {
      // A record's keys are data; its values may still be closed objects.
      const item = codec.codomain === undefined ? undefined : compile(codec.codomain, seen);
      if (item === undefined) return undefined;
      return (value, path, out) => {
        if (!isRecord(value)) return;
        for (const k of Object.keys(value)) item(value[k], join(path, shown(k)), out);
      };
    }
    case 'UnionType': {
      // An open member stays in the list with no check: a value it takes is not checked against
      // another member's keys (a web push subscription is no native device with unknown keys).
      const members = (codec.types ?? []).map((m) => ({
        m,
        c: compile(m, seen),
        // An open member's keys still tell which member a value that none takes was meant for.
        keys: new Set(shapeOf(openByDesign.has(m) && m.type !== undefined ? m.type : m, seen)?.props.keys()),
      }));
      if (members.every((x) => x.c === undefined)) return undefined;
      // The member io-ts decoded the value with: the first that takes it. A value none takes
      // failed to decode (its errors say why): the member that knows most of its keys is the
      // one meant (`{"os": "ios", "tokn": ..}` is told about `tokn` beside the missing `token`).
      const meant = (value: object): (typeof members)[number] | undefined => {
        const taken = members.find((x) => x.m.is(value));
        if (taken !== undefined) return taken;
        const ks = Object.keys(value);
        const known = (x: (typeof members)[number]): number => ks.filter((k) => x.keys.has(k)).length;
        return members.reduce((best, x) => (known(x) > known(best) ? x : best));
      };
      return (value, path, out) => {
        if (typeof value !== 'object' || value === null) return;
        const chosen = members.length === 1 ? members[0] : meant(value);
        chosen?.c?.(value, path, out);
      };
    }
    default:
      return undefined;
  }
};

const compiled = new WeakMap<object, Check | undefined>();

/**
 * The unknown keys of `value` by the codec, each as `path: unknown field (expected one of ...)`;
 * at most MAX_UNKNOWN_KEYS. Works on any input, decodable or not (a body whose `msg` is misspelt
 * is told about `mesage` as well as the missing `msg`).
 */
export const unknownKeys = (codec: t.Decoder<unknown, unknown>, value: unknown): string[] => {
  let check = compiled.get(codec);
  if (check === undefined && !compiled.has(codec)) {
    check = compile(codec as unknown as Tagged, new Map());
    compiled.set(codec, check);
  }
  if (check === undefined) return [];
  const out: string[] = [];
  check(value, '', out);
  return out;
};

/** Whether the codec closes any object (false: wholly free-form, nothing to refuse). */
export const hasClosedObjects = (codec: t.Decoder<unknown, unknown>): boolean =>
  compile(codec as unknown as Tagged, new Map()) !== undefined;
