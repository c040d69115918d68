// Cost of sealing personal data on the send path (docs/gdpr.md): appends of direct messages
// (MessagePublished to one user, whose text is sealed) to the in-memory log behind the hash
// chain, with and without the sealing decorator, in the same run. The key is cached after the
// first append, as on a node. Run: npm run build && node dist/bench/seal.js [events]
import { randomBytes } from 'node:crypto';
import { chained } from '../adapters/eventstore/chained.js';
import { createMemoryEventStore } from '../adapters/eventstore/memory.js';
import { sealed } from '../adapters/eventstore/sealed.js';
import type { EventStore } from '../ports/eventstore.js';
import type { KeyStore } from '../ports/keystore.js';

const N = Number(process.argv[2] ?? 20_000);
const key = { kid: 'k1', key: new Uint8Array(randomBytes(32)) };
const keys: KeyStore = {
  keyFor: () => Promise.resolve(key),
  find: () => Promise.resolve(key.key),
  destroy: () => Promise.resolve(0),
  close: () => Promise.resolve(),
};
const event = (i: number) => ({
  type: 'MessagePublished',
  data: {
    mid: `m${String(i)}`,
    from: 'svc',
    audience: { kind: 'user', uid: `u${String(i % 100)}` },
    msg: `Your order ${String(i)} has shipped and will arrive tomorrow between 9 and 12.`,
    opts: { ttl: 3600 },
    urgency: 3,
    at: '2026-01-01T00:00:00.000Z',
  },
  metadata: {
    eventId: `e${String(i)}`,
    occurredAt: '2026-01-01T00:00:00.000Z',
    actor: { uid: 'svc', roles: [] },
    correlationId: `c${String(i)}`,
    causationId: `c${String(i)}`,
  },
});
const run = async (store: EventStore): Promise<number> => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await store.append(`message-m${String(i)}`, [event(i)], 'no_stream');
  return Number(process.hrtime.bigint() - t) / 1e6;
};
const rounds: { plain: number; sealed: number }[] = [];
for (let r = 0; r < 3; r++) {
  const plain = await run(chained(createMemoryEventStore()));
  const seal = await run(sealed(chained(createMemoryEventStore()), keys));
  rounds.push({ plain, sealed: seal });
}
const best = (k: 'plain' | 'sealed'): number => Math.min(...rounds.map((r) => r[k]));
process.stdout.write(
  `${String(N)} appends, best of 3: chained ${best('plain').toFixed(0)} ms (${((best('plain') * 1000) / N).toFixed(1)} us/append), ` +
    `sealed+chained ${best('sealed').toFixed(0)} ms (${((best('sealed') * 1000) / N).toFixed(1)} us/append), ` +
    `ratio ${(best('sealed') / best('plain')).toFixed(2)}\n`,
);
