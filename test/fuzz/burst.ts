import fc from 'fast-check';
import type { ApiDoc } from './api-doc.js';
import { httpCaseArb, type HttpCase } from './http-case.js';
import type { Answer } from './http-client.js';
import { NON_ASCII, runHttpCase, type HttpDeps } from './http-run.js';
import { renderText } from './leaves.js';

// Concurrency: copies of one write sent at once, by one caller, naming the same ids (the same
// fresh thread, the same Idempotency-Key). Each copy is judged and read back like any case;
// and copies that share an Idempotency-Key create at most one message between them (the
// others replay its answer or are told 409 IdempotencyKeyInProgress).
export interface BurstCase {
  readonly kind: 'burst';
  readonly case: HttpCase;
  readonly copies: number;
}

export const burstArb = (doc: ApiDoc): fc.Arbitrary<BurstCase> => {
  const writes = doc.operations.filter((op) => op.method !== 'GET');
  return fc.record({
    kind: fc.constant('burst' as const),
    case: fc.oneof(...writes.map((op) => httpCaseArb(op))),
    copies: fc.integer({ min: 2, max: 6 }),
  });
};

export const runBurst = async (b: BurstCase, d: HttpDeps): Promise<string[]> => {
  const r = d.world.resolver();
  const who = await d.callers.caller(b.case.actor);
  const answers: Answer[] = [];
  const copies = Array.from({ length: b.copies }, () =>
    runHttpCase(b.case, r, d, { who, onAnswer: (a) => answers.push(a) }),
  );
  const problems = (await Promise.all(copies)).flat();
  // Copies that carry a key, even one the server refuses (blank, non-ASCII: 400), create at most one message.
  const key = b.case.idempotencyKey === undefined ? undefined : renderText(b.case.idempotencyKey, r);
  const mids = new Set(answers.filter((a) => a.status < 300).flatMap((a) => a.headers['x-message-id'] ?? []));
  if (key !== undefined && mids.size > 1) {
    const what = NON_ASCII.test(key)
      ? 'a non-ASCII Idempotency-Key was ignored'
      : key.trim() === ''
        ? 'a blank Idempotency-Key was ignored'
        : 'one Idempotency-Key';
    problems.push(`${what}: ${mids.size} messages created (${[...mids].join(', ')})`);
  }
  return problems.map((p) => `burst of ${b.copies}: ${p}`);
};
