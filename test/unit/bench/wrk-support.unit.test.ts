import { describe, expect, it } from 'vitest';
import { parseWrk } from '../../../bench/wrk-support.js';

// wrk's own report (wrk 4.1, --latency), as bench/ingest.ts reads it.
const REPORT = `Running 5s test @ http://127.0.0.1:40000/api/v2/send
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.10ms   12.20ms 1.86s    90.00%
  Latency Distribution
     50%   18.30ms
     75%   25.00ms
     90%   31.20ms
     99%    1.06s
  14410 requests in 5.00s, 2.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 45
  Non-2xx or 3xx responses: 3
Requests/sec:   2881.50
Transfer/sec:    430.00KB
`;

describe('parseWrk', () => {
  it('reads the rate, the percentiles in their units and each kind of error apart', () => {
    const r = parseWrk(REPORT);
    expect(r.rps).toBe(2881.5);
    expect(r.p50).toBeCloseTo(18.3, 6);
    expect(r.p99).toBe(1060);
    expect(r.requests).toBe(14410);
    expect(r.errors).toBe(50);
    expect(r.errorKinds).toBe('non-2xx 3, read 2, timeout 45');
  });
  it('says nothing of errors when there were none', () => {
    const clean = REPORT.replace(/ {2}Socket errors.*\n/, '').replace(/ {2}Non-2xx.*\n/, '');
    const r = parseWrk(clean);
    expect(r.errors).toBe(0);
    expect(r.errorKinds).toBe('');
  });
});
