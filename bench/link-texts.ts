// An event's JSON built once on the append path (chain.ts `linkTexts`) against what it replaced
// (issue 15): the link hash over `JSON.stringify([stream, revision, type, data, metadata])`,
// then the engine's `JSON.stringify` of data and of the linked metadata. Events shaped as a
// send's two (a MessagePublished with a sealed text, its MessageTriaged), blocks interleaved so
// drift in the machine's load hits both alike; prints microseconds per event and the ratio.
// Run: `npx tsc -p tsconfig.build.json && node dist/bench/link-texts.js`.
import { linkHash, linkTexts } from '../adapters/eventstore/chain.js';
import type { EventMetadata } from '../schema/metadata.js';
import { median } from './median.js';

const BLOCK = 20_000;
const BLOCKS = Number(process.env['BENCH_BLOCKS'] ?? 15);
const prev = '0'.repeat(64);

const metadata = (i: number): Omit<EventMetadata, 'chain'> => ({
  eventId: `e-${String(i)}`,
  occurredAt: '2026-12-07T06:30:49.346Z',
  actor: { uid: 'msgxc-reactor', roles: ['system', 'admin'] },
  correlationId: 'e2524dba-6e8c-4dc5-ac3f-61140181b06a',
  causationId: '19ce5f68-f111-4b9b-b99e-00336ff6ba8c',
});
const published = (i: number): unknown => ({
  mid: `01a24f32-a62a-700a-8896-a698800${String(i).padStart(5, '0')}`,
  from: 'bench',
  audience: { kind: 'user', uid: `user-${String(i % 10_000)}` },
  msg: {
    enc: 'v1',
    kid: 'k1',
    iv: 'q83vEjRWeJASNFZ4',
    ct: 'dGhpcyBpcyBhIHNlYWxlZCB0ZXh0IG9mIHRoZSBtZXNzYWdlIGFib3V0IG9yZGVycw==',
  },
  opts: { data: { key: 'whatever', order: i } },
  at: '2026-12-07T06:30:49.130Z',
});
const triaged = (i: number): unknown => ({
  mid: `01a24f32-a62a-700a-8896-a698800${String(i).padStart(5, '0')}`,
  due: '2026-12-07T06:30:49.130Z',
  expiresAt: '2026-12-08T06:30:49.130Z',
  urgency: 3,
  batch: 0,
  recipients: [{ uid: `user-${String(i % 10_000)}`, online: false, steps: [] }],
});
const events = Array.from({ length: BLOCK }, (_, i) => ({
  stream: `message-${String(i)}`,
  revision: 0,
  type: i % 2 === 0 ? 'MessagePublished' : 'MessageTriaged',
  data: i % 2 === 0 ? published(i) : triaged(i),
  metadata: metadata(i),
}));

let sink = 0;
const before = (): number => {
  const t = process.hrtime.bigint();
  for (const e of events) {
    const hash = linkHash(prev, e);
    sink += JSON.stringify(e.data).length + JSON.stringify({ ...e.metadata, chain: { prev, hash } }).length;
  }
  return Number(process.hrtime.bigint() - t) / BLOCK / 1000;
};
const after = (): number => {
  const t = process.hrtime.bigint();
  for (const e of events) {
    const texts = linkTexts(prev, e);
    sink += (texts?.data.length ?? 0) + (texts?.metadata.length ?? 0);
  }
  return Number(process.hrtime.bigint() - t) / BLOCK / 1000;
};

before();
after();
const b: number[] = [];
const a: number[] = [];
for (let i = 0; i < BLOCKS; i++) {
  if (i % 2 === 0) {
    b.push(before());
    a.push(after());
  } else {
    a.push(after());
    b.push(before());
  }
}
console.log(
  `us per event: stringified twice ${median(b).toFixed(2)}, built once ${median(a).toFixed(2)}; ` +
    `built once / twice ${(median(a) / median(b)).toFixed(2)} (${String(BLOCKS)} blocks of ${String(BLOCK)}; sink ${String(sink % 7)})`,
);
