import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../../adapters/eventstore/memory.js';
import { createLatencyTrace } from '../../../app/trace.js';
import type { LiveSink } from '../../../ports/live.js';

// The latency trace (MSGXC_TRACE_LATENCY): one line per message that came in over HTTP, once
// it has both its answer and its fan-out, with every stage it passed in order.
const setup = () => {
  const lines: string[] = [];
  const trace = createLatencyTrace((l) => lines.push(l));
  const commits = new Set<() => void>();
  const store = trace.store(createMemoryEventStore(), (l) => {
    commits.add(l);
    return () => commits.delete(l);
  });
  const published: string[] = [];
  const sink: LiveSink = trace.sink({ publish: (_kind, key) => published.push(key) });
  const parse = (l: string) => JSON.parse(l) as { trace: string; ms: Record<string, number>; loopMaxMs: number };
  return { lines, trace, store, commits, sink, published, parse };
};

const meta = {
  eventId: 'e1',
  occurredAt: '2026-12-05T00:00:00.000Z',
  actor: { uid: 'admin', roles: ['admin'] },
  correlationId: 'c1',
  causationId: 'c1',
};
const published = (mid: string) => [{ type: 'MessagePublished', data: { mid }, metadata: meta }];

const envelope = (mid: string): string => `{"k":"f","mid":"${mid}"}\n{"type":"message","mid":"${mid}"}`;

describe('latency trace', () => {
  it('writes one line with each stage of a message, from its arrival, once answered and fanned out', async () => {
    const { lines, trace, store, commits, sink, published: out, parse } = setup();
    const t0 = performance.now();
    trace.mark('m1', 'received', t0 - 2);
    trace.mark('m1', 'decoded', t0 - 1);
    trace.mark('m1', 'handler', t0);
    const appended = store.append('msg-m1', published('m1'), 'any');
    for (const c of commits) c();
    await appended;
    sink.publish('thread', 't1', envelope('m1'));
    expect(lines).toEqual([]); // not answered yet
    trace.mark('m1', 'replied');
    expect(out).toEqual(['t1']);
    expect(lines).toHaveLength(1);
    const line = parse(lines[0] ?? '');
    expect(line.trace).toBe('m1');
    expect(Object.keys(line.ms)).toEqual([
      'received',
      'decoded',
      'handler',
      'append',
      'committed',
      'appended',
      'replied',
      'live',
      'fanout',
    ]);
    expect(line.ms['received']).toBe(0);
    expect(line.ms['decoded']).toBe(1);
    const at = (s: string): number => line.ms[s] ?? Number.NaN;
    expect(at('append')).toBeGreaterThanOrEqual(at('handler'));
    expect(at('committed')).toBeGreaterThanOrEqual(at('append'));
    expect(at('appended')).toBeGreaterThanOrEqual(at('committed'));
    expect(at('live')).toBeGreaterThanOrEqual(at('appended'));
    expect(at('fanout')).toBeGreaterThanOrEqual(at('live'));
    expect(at('replied')).toBeGreaterThanOrEqual(at('fanout'));
    expect(line.loopMaxMs).toBeGreaterThanOrEqual(0);
  });

  it('does not trace what did not come in over HTTP, and passes it on unchanged', async () => {
    const { lines, store, sink, published: out } = setup();
    const r = await store.append('msg-m2', published('m2'), 'any');
    expect(r.kind).toBe('appended');
    sink.publish('user', 'u1', envelope('m2'));
    expect(out).toEqual(['u1']);
    expect(lines).toEqual([]);
  });
});
