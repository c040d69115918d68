import { describe, expect, it } from 'vitest';
import { linkHash } from '../../../adapters/eventstore/chain.js';
import type { EventMetadata } from '../../../schema/metadata.js';

// The admin page's chain check (web/admin/chain.js, in the browser with WebCrypto) against
// the log's own hashing (adapters/eventstore/chain.ts): a stream the log linked checks out,
// and each kind of change the CLI's verify names is caught (Node 20 has the same WebCrypto).
interface Ev {
  stream: string;
  revision: number;
  position: number;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}
type Result = { ok: true; checked: number; unchained: number } | { ok: false; revision: number; problem: string };
// Not a TypeScript module: imported by a path the compiler does not resolve, typed here.
const CHAIN: string = '../../../web/admin/chain.js';
const { checkStream } = (await import(CHAIN)) as {
  checkStream: (events: readonly Ev[]) => Promise<Result>;
};

const meta = (i: number): EventMetadata => ({
  eventId: `e${i}`,
  occurredAt: `2026-01-01T00:00:0${i}.000Z`,
  actor: { uid: 'bob', roles: [] },
  correlationId: `c${i}`,
  causationId: `c${i}`,
});

/** A stream of `n` events linked as the log links them; the first `unchained` without a link. */
const stream = (n: number, unchained = 0): Ev[] => {
  const out: Ev[] = [];
  let prev = '0'.repeat(64);
  for (let i = 0; i < n; i++) {
    const e: Ev = {
      stream: 'thread-t',
      revision: i,
      position: 10 + i,
      type: 'T',
      data: { n: i, msg: '<b>x</b>' },
      metadata: meta(i),
    };
    if (i < unchained) {
      prev = 'unchained';
      out.push(e);
      continue;
    }
    const hash = linkHash(prev, e);
    out.push({ ...e, metadata: { ...e.metadata, chain: { prev, hash } } });
    prev = hash;
  }
  return out;
};

describe('admin UI chain check', () => {
  it('accepts a stream the log linked, and one that starts before the chain', async () => {
    expect(await checkStream(stream(4))).toEqual({ ok: true, checked: 4, unchained: 0 });
    expect(await checkStream(stream(4, 2))).toEqual({ ok: true, checked: 2, unchained: 2 });
  });

  it('names the first event that does not fit: altered, removed, reordered, stripped', async () => {
    const altered = stream(4);
    altered[2] = { ...altered[2], data: { n: 2, msg: 'changed' } } as Ev;
    const a = await checkStream(altered);
    expect(a).toMatchObject({ ok: false, revision: 2 });
    expect(a.ok ? '' : a.problem).toContain('altered');

    const removed = stream(4).filter((e) => e.revision !== 1);
    expect(await checkStream(removed)).toMatchObject({ ok: false, revision: 2 });

    const s = stream(3);
    const swapped = [s[0], { ...s[2], revision: 1 }, { ...s[1], revision: 2 }] as Ev[];
    expect(await checkStream(swapped)).toMatchObject({ ok: false, revision: 1 });

    const stripped = stream(3);
    const bare: Partial<EventMetadata> = { ...(stripped[2]?.metadata ?? meta(2)) };
    delete bare.chain;
    stripped[2] = { ...(stripped[2] as Ev), metadata: bare as EventMetadata };
    const x = await checkStream(stripped);
    expect(x).toMatchObject({ ok: false, revision: 2 });
    expect(x.ok ? '' : x.problem).toContain('no link');
  });
});
