// Sends per second through each channel adapter to its local stand-in, against a bare loop
// of the same SDK call with the same concurrency, in the same process and run (target: the
// adapter at >= 0.8x the bare loop). Bare and adapter runs alternate in rounds so that a
// noisy moment on the shared machine hurts both alike. Also: what web push encryption costs
// per message. The stand-ins run in this process and do their own crypto (VAPID and provider
// JWT checks, aes128gcm decryption), which both sides of each pair pay equally.
//   npx vite-node bench/channels.ts [sends per run, default 2000] [rounds, default 3] [only names containing]
import webpush from 'web-push';
import { startWebPushStandin } from '../test/standins/webpush.js';

import { message, pki } from './channel-pairs-common.js';
import { apnsPair, fcmPair, webPushPair } from './channel-pairs-push.js';
import { mqttPair, outboxPair, sendGridPair, smtpPair, twilioPair } from './channel-pairs-other.js';

const N = Number(process.argv[2] ?? '2000');
const ROUNDS = Number(process.argv[3] ?? '3');
const ONLY = (process.argv[4] ?? '').toLowerCase();

const time = async (fn: (n: number) => Promise<void>, n: number): Promise<number> => {
  const t0 = performance.now();
  await fn(n);
  return (performance.now() - t0) / 1000;
};

const rows: string[] = [];
const fmt = (x: number, w: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '-').padStart(w);
rows.push(
  `${'adapter'.padEnd(34)}${'in flight'.padStart(10)}${'bare sends/s'.padStart(14)}${'adapter sends/s'.padStart(17)}${'ratio'.padStart(8)}`,
);
for (const make of [webPushPair, fcmPair, apnsPair, sendGridPair, smtpPair, twilioPair, mqttPair, outboxPair]) {
  if (ONLY !== '' && !make.name.toLowerCase().includes(ONLY)) continue;
  const p = await make();
  try {
    const warm = Math.min(200, N);
    if (p.bare) await p.bare(warm);
    await p.adapter(warm);
    let [bareT, adapterT] = [0, 0];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        if (p.bare) bareT += await time(p.bare, N);
        adapterT += await time(p.adapter, N);
      } else {
        adapterT += await time(p.adapter, N);
        if (p.bare) bareT += await time(p.bare, N);
      }
    }
    const bare = p.bare ? (N * ROUNDS) / bareT : Number.NaN;
    const adapter = (N * ROUNDS) / adapterT;
    rows.push(
      `${p.name.padEnd(34)}${String(p.concurrency).padStart(10)}${fmt(bare, 14)}${fmt(adapter, 17)}${fmt(adapter / bare, 8, 2)}`,
    );
    console.error(rows[rows.length - 1]);
  } finally {
    await p.close();
  }
}

// Web push: the sender's cost per message, without the network.
const s = await startWebPushStandin(pki);
const sub = s.subscribe('cost');
const keys = webpush.generateVAPIDKeys();
const body = JSON.stringify({ msg: message.msg, opts: message.opts, mid: message.mid, slug: '/thread/lobby' });
const perOp = (label: string, n: number, fn: () => unknown): string => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return `${label.padEnd(58)}${fmt(((performance.now() - t0) * 1000) / n, 8)} µs`;
};
const costs = [
  perOp('aes128gcm encryption (ECDH P-256 + HKDF + AES-GCM)', 2000, () =>
    webpush.encrypt(sub.keys.p256dh, sub.keys.auth, body, 'aes128gcm'),
  ),
  perOp('VAPID JWT signature (ES256)', 2000, () =>
    webpush.getVapidHeaders(s.url, 'mailto:bench@example.com', keys.publicKey, keys.privateKey, 'aes128gcm'),
  ),
  perOp('whole request as web-push builds it (both of the above)', 2000, () =>
    webpush.generateRequestDetails(sub, body, {
      vapidDetails: { subject: 'mailto:bench@example.com', ...keys },
      TTL: 60,
    }),
  ),
];
await s.close();

console.log(`\nchannel adapters vs bare SDK loops, ${N} sends x ${ROUNDS} rounds each (Node ${process.version})\n`);
console.log(rows.join('\n'));
console.log('\nweb push, sender-side cost per message:');
console.log(costs.join('\n'));
