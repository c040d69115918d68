import { expect } from 'vitest';
import { call, type Reply, type Server } from './harness.js';
import { waitFor } from './standin-env.js';

/**
 * Saves a segment and waits until its count reaches what the test's own independent filter of
 * the imported users selected: the directory follows the log, so the count gets there once the
 * import is indexed. Answers the segment's id.
 */
export const segmentCounting = async (
  s: Server,
  admin: string,
  segment: { readonly name: string; readonly query: unknown },
  expected: number,
  wait: { readonly timeoutMs: number; readonly everyMs: number },
): Promise<string> => {
  const seg = await call(s, 'POST', '/api/v2/segments', { token: admin, body: segment });
  expect(seg.status, seg.text).toBe(200);
  const id = (seg.body as { id: string }).id;
  await waitFor(
    `segment to count ${String(expected)}`,
    async () => {
      const c = await call(s, 'GET', `/api/v2/segments/${id}/count`, { token: admin });
      return (c.body as { count: number }).count === expected ? true : undefined;
    },
    wait.timeoutMs,
    wait.everyMs,
  );
  return id;
};

/** The id of the message a 200 answer stored (x-message-id). */
export const midOf = (r: Reply): string => {
  expect(r.status, r.text).toBe(200);
  return r.headers.get('x-message-id') ?? '';
};
