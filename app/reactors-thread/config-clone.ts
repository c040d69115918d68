import type { Config } from '../../schema/config.js';

// The node's Config as a worker receives it. postMessage's structured clone keeps plain data,
// Maps, RegExps and typed arrays, but turns a URL (the channels' endpoint overrides) into an
// empty object: URLs cross as their text and are made URLs again on the other side.
interface UrlText {
  readonly __url: string;
}

const isUrlText = (v: unknown): v is UrlText =>
  typeof v === 'object' && v !== null && typeof (v as { __url?: unknown }).__url === 'string';

const map = (v: unknown, f: (v: unknown) => unknown): unknown => {
  const mapped = f(v);
  if (mapped !== v) return mapped;
  if (Array.isArray(v)) return v.map((x) => map(x, f));
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, map(x, f)]));
  return v;
};

export const configToClone = (config: Config): unknown =>
  map(config, (v) => (v instanceof URL ? ({ __url: v.href } satisfies UrlText) : v));

export const configFromClone = (cloned: unknown): Config =>
  map(cloned, (v) => (isUrlText(v) ? new URL(v.__url) : v)) as Config;
