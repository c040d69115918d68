// An event whose stored data or metadata cannot be read: a row of the embedded log edited on
// disk into text that is not JSON (the engine parses a row when it is first read). It is the
// event that is broken, not the engine: reading it again gives the same answer, so a reader
// must not retry it. Followers quarantine it as a dead letter (follower/decode.ts), the routes
// answer naming it (api/http.ts), and `msgxc audit verify` reports it as altered.

export interface UnreadableEvent extends Error {
  readonly unreadable: true;
  readonly stream: string;
  readonly position: number;
}

// The parser's message quotes the stored text, which anyone who could edit the file chose:
// control and format characters are shown escaped, so the text cannot drive the terminal or
// log viewer that shows it (erase a line, move the cursor, reverse the order of what follows).
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
export const escapeControls = (s: string): string =>
  s.replace(UNSAFE, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);

export const unreadableEvent = (
  e: { readonly stream: string; readonly position: number },
  field: 'data' | 'metadata',
  cause: unknown,
): UnreadableEvent => {
  const why = escapeControls(cause instanceof Error ? cause.message : String(cause)).slice(0, 200);
  return Object.assign(
    new Error(`the stored ${field} of the event at position ${String(e.position)} is not JSON (${why})`, { cause }),
    { name: 'UnreadableEvent', unreadable: true as const, stream: e.stream, position: e.position },
  );
};

export const isUnreadableEvent = (e: unknown): e is UnreadableEvent =>
  e instanceof Error && (e as { readonly unreadable?: unknown }).unreadable === true;
