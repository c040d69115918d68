import * as t from 'io-ts';

// Codecs for environment variables (always strings), shared by the configuration files.
export const IntFromString = (name: string, min: number, max: number) =>
  new t.Type<number, string, unknown>(
    name,
    (u): u is number => typeof u === 'number',
    (u, c) => {
      if (typeof u !== 'string' || !/^\d+$/.test(u))
        return t.failure(u, c, `expected an integer between ${min} and ${max}`);
      const n = Number(u);
      return n >= min && n <= max ? t.success(n) : t.failure(u, c, `expected an integer between ${min} and ${max}`);
    },
    String,
  );

export const BoolFromString = new t.Type<boolean, string, unknown>(
  'Bool',
  (u): u is boolean => typeof u === 'boolean',
  (u, c) =>
    u === 'true' || u === '1'
      ? t.success(true)
      : u === 'false' || u === '0'
        ? t.success(false)
        : t.failure(u, c, 'expected true or false'),
  String,
);

export const NonEmpty = t.refinement(t.string, (s) => s.trim().length > 0, 'NonEmptyString');
