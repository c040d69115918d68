// One- and two-field mutations of a value, for the property tests that hold a guard equal to its
// codec's decode (decode-fast, decode-guarded): every path into a value, and a copy changed at one.

/** Every path to a value inside `v` (objects and arrays), the empty path included. */
export const paths = (v: unknown, at: (string | number)[] = []): (string | number)[][] => {
  if (v === null || typeof v !== 'object') return [at];
  const kids = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
  return [at, ...kids.flatMap(([k, x]) => paths(x, [...at, k]))];
};
export const setAt = (v: unknown, path: readonly (string | number)[], to: unknown, remove: boolean): unknown => {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (last === undefined) return to;
  if (remove && Array.isArray(o) && typeof last === 'number') o.splice(last, 1);
  else if (remove) Reflect.deleteProperty(o, last);
  else o[last] = to;
  return copy;
};
