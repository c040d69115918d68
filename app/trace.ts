import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AppendResult, EventStore } from '../ports/eventstore.js';
import type { LiveSink } from '../ports/live.js';
import type { Trace, TraceStage } from '../ports/trace.js';

// The latency trace (MSGXC_TRACE_LATENCY=true, issue 15): one message followed from the HTTP
// request to the fan-out, by its id. The route marks its stages (api/http.ts), the log's
// appends and commits are marked by wrapping the store, the live follower's hand-off and the
// fan-out by wrapping its sink. When a message has reached both its answer and its fan-out, one
// JSON line goes to stderr: milliseconds from the request's arrival to each stage. Nothing here
// is wired when the setting is off. Messages not published over HTTP (the reactors' appends,
// events of no message) are not traced; a message whose stages never complete is dropped after
// a bounded number of newer ones.
//
// uWS writes a topic's publications to the sockets only when its loop handler runs (after the
// task and its microtasks end, in the loop's check phase, before the `setImmediate` callbacks),
// not inside `app.publish`: so after a message's line, a second line for the same message gives
// `flushed`, the next turn of the loop after its fan-out, when the frame is on the sockets.

const ORDER: readonly TraceStage[] = [
  'received',
  'decoded',
  'handler',
  'append',
  'committed',
  'appended',
  'replied',
  'live',
  'fanout',
];
const KEEP = 1000;

export interface LatencyTrace extends Trace {
  /** The store, with each append of a traced message marked (`append`, `committed`, `appended`). */
  store<S extends EventStore>(store: S, onCommit?: (listener: () => void) => () => void): S;
  /** The live follower's sink, with the hand-off and the end of the fan-out marked. */
  sink(sink: LiveSink): LiveSink;
}

const midsOf = (events: readonly { readonly data: unknown }[]): string[] => {
  const mids: string[] = [];
  for (const e of events) {
    const mid = (e.data as { mid?: unknown } | undefined)?.mid;
    if (typeof mid === 'string') mids.push(mid);
  }
  return mids;
};

// The live envelope's first line is its header (schema/frames.ts), with the message's id when it is one.
const midOfEnvelope = (envelope: string): string | undefined =>
  /"mid":"([^"]+)"/.exec(envelope.slice(0, envelope.indexOf('\n')))?.[1];

export const createLatencyTrace = (write: (line: string) => void): LatencyTrace => {
  const open = new Map<string, Map<TraceStage, number>>();
  // The longest the event loop was held since the previous line: what a message may have waited behind.
  const loop = monitorEventLoopDelay({ resolution: 2 });
  loop.enable();
  let lastCommit = 0;
  const mark = (mid: string, stage: TraceStage, at = performance.now()): void => {
    let stages = open.get(mid);
    if (stages === undefined) {
      if (stage !== 'received') return; // only messages that came in over HTTP
      stages = new Map();
      open.set(mid, stages);
      if (open.size > KEEP) open.delete(open.keys().next().value as string);
    }
    if (!stages.has(stage)) stages.set(stage, at);
    if (!stages.has('replied') || !stages.has('fanout')) return;
    open.delete(mid);
    const t0 = stages.get('received') ?? at;
    const ms: Record<string, number> = {};
    for (const s of ORDER) {
      const t = stages.get(s);
      if (t !== undefined) ms[s] = Math.round((t - t0) * 1000) / 1000;
    }
    write(`${JSON.stringify({ trace: mid, ms, loopMaxMs: Math.round(loop.max / 1e4) / 100 })}\n`);
    loop.reset();
  };
  return {
    mark,
    store: (store, onCommit) => {
      // Registered before any follower subscribes, so it runs first after each commit.
      onCommit?.(() => {
        lastCommit = performance.now();
      });
      const append: EventStore['append'] = (stream, events, expected) => {
        const mids = midsOf(events).filter((m) => open.has(m));
        if (mids.length === 0) return store.append(stream, events, expected);
        for (const m of mids) mark(m, 'append');
        return store.append(stream, events, expected).then((r: AppendResult) => {
          const now = performance.now();
          for (const m of mids) {
            if (onCommit !== undefined) mark(m, 'committed', lastCommit);
            mark(m, 'appended', now);
          }
          return r;
        });
      };
      return { ...store, append };
    },
    sink: (sink) => ({
      publish: (kind, key, envelope) => {
        const mid = open.size === 0 ? undefined : midOfEnvelope(envelope);
        const t0 = mid === undefined ? undefined : open.get(mid)?.get('received');
        if (mid !== undefined) mark(mid, 'live');
        sink.publish(kind, key, envelope);
        if (mid === undefined || t0 === undefined) return;
        mark(mid, 'fanout');
        setImmediate(() => {
          const flushed = Math.round((performance.now() - t0) * 1000) / 1000;
          write(`${JSON.stringify({ trace: mid, ms: { flushed } })}\n`);
        });
      },
    }),
  };
};
