// How a README walkthrough line `# => ...` is checked against what its command printed.
// Case-sensitive always; the output's trailing whitespace (curl's last newline) is ignored.
//   # => true            the whole output is exactly `true`
//   # => ...X-Id:...     the output contains `X-Id:` somewhere
//   # => {"code":...     the output starts with `{"code":`
//   # => ...done         the output ends with `done`
// `...` marks where output may be left out, as a reader would take it; nothing else is special.
export type Expectation =
  | { readonly kind: 'exact'; readonly text: string }
  | { readonly kind: 'contains' | 'prefix' | 'suffix'; readonly text: string };

const DOTS = '...';

export const parseExpectation = (line: string): Expectation => {
  // Spaces around the expectation are layout in the README, not output.
  const raw = line.trim();
  const head = raw.startsWith(DOTS);
  const tail = raw.endsWith(DOTS) && raw.length >= (head ? 2 * DOTS.length : DOTS.length);
  const text = raw.slice(head ? DOTS.length : 0, tail ? raw.length - DOTS.length : raw.length);
  if (text.trim() === '')
    throw new Error(`a walkthrough expectation needs text besides "...": ${JSON.stringify(line)}`);
  if (head && tail) return { kind: 'contains', text };
  if (head) return { kind: 'suffix', text };
  if (tail) return { kind: 'prefix', text };
  return { kind: 'exact', text };
};

export const matches = (output: string, e: Expectation): boolean => {
  const out = output.trimEnd();
  switch (e.kind) {
    case 'exact':
      return out === e.text;
    case 'contains':
      return out.includes(e.text);
    case 'prefix':
      return out.startsWith(e.text);
    case 'suffix':
      return out.endsWith(e.text);
    default: {
      const never: never = e;
      return never;
    }
  }
};
