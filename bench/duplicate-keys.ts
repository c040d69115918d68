// What refusing repeated body keys (schema/duplicate-keys.ts) adds to a request, against the
// JSON.parse every body already pays, in the same run: a send body and a 1,000-user multicast.
//   node dist/bench/duplicate-keys.js [rounds=3]
import { duplicateKey } from '../schema/duplicate-keys.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const bodies: readonly [name: string, text: string, calls: number][] = [
  [
    'send body (110 bytes)',
    '{"msg":"benchmark message of about one hundred bytes, like a chat line or a short alert text","uid":"user-42"}',
    1_000_000,
  ],
  [
    'multicast, 1,000 uids (10 KB)',
    JSON.stringify({
      uids: Array.from({ length: 1000 }, (_, i) => `user-${String(i)}`),
      msg: 'x'.repeat(500),
      opts: { data: { a: 1, b: [1, 2, { c: 3 }] } },
    }),
    20_000,
  ],
];
const perCall = (calls: number, f: () => void): number => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) f();
  return Number(process.hrtime.bigint() - start) / calls / 1000;
};
for (const [name, text, calls] of bodies) {
  const value = JSON.parse(text) as unknown;
  for (let r = 1; r <= ROUNDS; r++) {
    const parse = perCall(calls, () => {
      JSON.parse(text);
    });
    const check = perCall(calls, () => {
      duplicateKey(text, value);
    });
    console.log(
      `${name}, round ${String(r)}: JSON.parse ${parse.toFixed(3)} us, duplicateKey ${check.toFixed(3)} us (${(check / parse).toFixed(2)}x)`,
    );
  }
}
