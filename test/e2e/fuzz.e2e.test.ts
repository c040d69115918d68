import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepare, runSeed, type SeedRun } from '../fuzz/campaign.js';
import { CORPUS } from '../fuzz/corpus.js';
import { runCase, type Fuzzer } from '../fuzz/runner.js';
import { FIXED_SEED, fuzzSettings } from '../fuzz/settings.js';
import { removeDir, startServer, type Server } from './harness.js';

// The fuzzer (test/fuzz/, docs/fuzzing.md) against the built broker, black-box: it learns the
// routes from the server's OpenAPI document and the frame types from the server itself, and
// generates requests for every route, frames of every type, raw malformed HTTP and stateful
// sequences as every kind of caller. Every case must leave the process alive and answering,
// answer no 5xx, log nothing at error level, and every 2xx write must read back through the API.
// The regression corpus first, then a fixed seed, then a random one (printed, to replay).
const settings = fuzzSettings();
const project = process.env['MSGXC_E2E_STACK'] ?? 'embedded';
let server: Server;
let fuzzer: Fuzzer;

beforeAll(async () => {
  server = await startServer();
  fuzzer = await prepare(server, Date.now().toString(36));
});
afterAll(async () => {
  await server.stop();
  removeDir(server.dataDir);
});

const report = (label: string, r: SeedRun): void => {
  const counts = [...fuzzer.counts.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
  const warnings = [...fuzzer.log.warnings.entries()].map(([k, v]) => `${v}x ${k}`).join('; ');
  // Per operation: answers in 2xx of all (how often a write got far enough to be read back).
  const ops = new Map<string, [number, number]>();
  for (const [k, n] of fuzzer.statuses) {
    const [method = '', path = '', status = ''] = k.split(' ');
    const op = `${method} ${path}`;
    const [ok, all] = ops.get(op) ?? [0, 0];
    ops.set(op, [ok + (status.startsWith('2') ? n : 0), all + n]);
  }
  const reads = [...fuzzer.reader.timings.entries()].map(([k, v]) => `${k} ${Math.round(v)}`).join(', ');
  const answered = [...ops.entries()].map(([op, [ok, all]]) => `${op} ${ok}/${all}`).join(', ');
  if (process.env['MSGXC_FUZZ_SURVEY'] === '1')
    process.stdout.write(`[fuzz survey] statuses: ${JSON.stringify([...fuzzer.statuses.entries()].sort())}\n`);
  process.stdout.write(
    [...fuzzer.survey.entries()].map(([k, v]) => `[fuzz survey] ${v.count}x ${k}\n  ${v.example}\n`).join('') +
      `[fuzz] ${project} ${label} seed ${r.seed}: ${r.cases} cases in ${r.seconds.toFixed(1)} s; so far: ${counts}; world ${JSON.stringify(fuzzer.world.counts)}${warnings === '' ? '' : `; warnings: ${warnings}`}\n[fuzz] ${project} 2xx of answers per operation: ${answered}\n[fuzz] ${project} ms reading back, per route: ${reads}\n`,
  );
};

describe('fuzzer', () => {
  for (const entry of CORPUS) {
    it(`corpus: ${entry.name}`, async () => {
      const problems = await runCase(fuzzer, entry.case, true);
      if (entry.knownBug === undefined) expect(problems).toEqual([]);
      else {
        const bug = entry.knownBug;
        expect(
          problems.some((p) => bug.matches.test(p)),
          `fixed? remove the knownBug mark (${bug.fix})`,
        ).toBe(true);
        expect(problems.filter((p) => !bug.matches.test(p))).toEqual([]);
      }
    });
  }

  const timeout = (ms: number): number => ms + settings.shrinkMs + 120_000;

  it(`fixed seed ${FIXED_SEED}`, { timeout: timeout(settings.fixedMs) }, async () => {
    const r = await runSeed(fuzzer, FIXED_SEED, settings.fixedMs, settings.shrinkMs);
    report('fixed', r);
    expect(r.failure).toBeUndefined();
    expect(r.cases).toBeGreaterThan(20);
  });

  it(`${settings.replaying ? 'given' : 'random'} seed ${settings.randomSeed}`, {
    timeout: timeout(settings.randomMs),
  }, async () => {
    const r = await runSeed(fuzzer, settings.randomSeed, settings.randomMs, settings.shrinkMs, settings.path);
    report(settings.replaying ? 'given' : 'random', r);
    expect(r.failure).toBeUndefined();
    expect(r.cases).toBeGreaterThan(settings.path === undefined ? 10 : 0);
  });
});
