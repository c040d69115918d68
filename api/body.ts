import type { HttpResponse } from './uws.js';

// Reads a request body with a hard size limit. A declared Content-Length over the limit is
// refused before a byte is buffered; a chunked body is cut off as soon as it crosses it.
export const readBody = (
  res: HttpResponse,
  contentLength: string,
  limit: number,
  state: { aborted: boolean },
  done: (body: Buffer) => void,
  tooLarge: () => void,
  /** A throw in here would unwind into uWS (and end the process): it goes to the caller's guard. */
  failed: (e: unknown) => void,
): void => {
  const declared = contentLength === '' ? undefined : Number(contentLength);
  if (declared !== undefined && declared > limit) {
    tooLarge();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    try {
      if (refused || state.aborted) return;
      size += chunk.byteLength;
      if (size > limit) {
        refused = true;
        tooLarge();
        return;
      }
      // uWS neuters the ArrayBuffer after this callback returns, so it must be copied.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) done(chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks, size));
    } catch (e) {
      refused = true;
      failed(e);
    }
  });
};
