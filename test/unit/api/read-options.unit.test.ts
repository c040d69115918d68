import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FRESH_READS } from '../../../schema/openapi-operation.js';
import { operations } from '../../../schema/openapi.js';

// The reads that take `consistency` and `min_position` (schema/openapi-operation.ts FRESH_READS)
// are exactly the GET routes whose handler waits for the read models (consistentRead or
// consistentSearch, api/deps.ts, directly or through a helper of the same file): a read that
// waits without the options listed would refuse them (api/query-names.ts), and one listed that
// does not wait would take them for nothing.
const ROUTES = resolve(import.meta.dirname, '../../../api/routes');
const WAITS = /consistentRead|consistentSearch/;

/** GET /api/v2 paths whose route object, or a function of the same file it calls, waits. */
const waitingReads = (): string[] => {
  const out: string[] = [];
  for (const file of readdirSync(ROUTES).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(ROUTES, file), 'utf8');
    // Top-level functions of the file that wait, by name (`const profile = async (...)`).
    const helpers = [...text.matchAll(/^(?:export )?const (\w+) = (?:async )?\(/gm)]
      .map((m, i, all) => ({ name: m[1] ?? '', body: text.slice(m.index, all[i + 1]?.index ?? text.length) }))
      .filter((h) => WAITS.test(h.body) && !/method: '/.test(h.body))
      .map((h) => h.name);
    const parts = text.split(/(?=method: '(?:get|post|put|delete)',\s*\n\s*path: ')/);
    for (const part of parts.slice(1)) {
      const m = /^method: '(\w+)',\s*\n\s*path: '([^']+)'/.exec(part);
      if (m?.[1] !== 'get' || !(m[2] ?? '').startsWith('/api/v2/')) continue;
      const body = part.slice(0, part.indexOf('\n  },') === -1 ? undefined : part.indexOf('\n  },'));
      if (WAITS.test(body) || helpers.some((h) => new RegExp(`\\b${h}\\(`).test(body))) out.push(m[2] ?? '');
    }
  }
  return out.sort();
};

describe('read options (consistency, min_position)', () => {
  it('are taken by exactly the reads that wait for the read models', () => {
    const found = waitingReads();
    expect(found.length).toBeGreaterThan(5);
    expect(found).toEqual([...FRESH_READS].sort());
  });

  it('every listed read is a documented GET', () => {
    for (const path of FRESH_READS) expect(operations[path]?.get, path).toBeDefined();
  });
});
