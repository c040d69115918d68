// Heap figures of a Node process from outside, through its inspector (Chrome DevTools
// Protocol): a full garbage collection in the main thread and in every worker thread (reached
// through the NodeWorker domain), then process.memoryUsage() in each. msgxc runs its
// projections in worker threads, each with its own V8 heap that grows and shrinks on its own
// (V8 shrinks an idle heap seconds later), so the process's RSS moves by tens of MiB with no
// change in what it holds; the heap each isolate has committed but not used explains that.
import WebSocket from 'ws';

interface Message {
  id?: number;
  method?: string;
  params?: { sessionId?: string; message?: string };
  result?: unknown;
}

export interface Heaps {
  /** Isolates measured. */
  isolates: number;
  /** Worker isolates that did not answer within WORKER_WAIT_MS (asleep in Atomics.wait). */
  silent: number;
  /** Bytes committed to V8 heaps beyond what their live objects use, over every isolate. */
  freeBytes: number;
}

const usage = { method: 'Runtime.evaluate', params: { expression: 'process.memoryUsage()', returnByValue: true } };
const collect = { method: 'HeapProfiler.collectGarbage' };
const WORKER_WAIT_MS = 2000;

export const collectAndMeasure = async (url: string): Promise<Heaps> => {
  const ws = new WebSocket(url);
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  const pending = new Map<string, (r: unknown) => void>();
  const workers: string[] = [];
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as Message;
    if (m.method === 'NodeWorker.attachedToWorker' && m.params?.sessionId !== undefined)
      workers.push(m.params.sessionId);
    if (m.method === 'NodeWorker.receivedMessageFromWorker' && m.params?.message !== undefined) {
      const inner = JSON.parse(m.params.message) as Message;
      pending.get(`${m.params.sessionId ?? ''}:${String(inner.id)}`)?.(inner.result);
    }
    if (m.id !== undefined) pending.get(`:${m.id}`)?.(m.result);
  });
  let next = 0;
  const call = (c: { method: string; params?: object }, session = ''): Promise<unknown> => {
    next += 1;
    const id = next;
    const answered = new Promise<unknown>((res) => pending.set(`${session}:${id}`, res));
    const text = JSON.stringify({ id, ...c });
    if (session === '') ws.send(text);
    else {
      next += 1; // the envelope has an id of its own
      ws.send(
        JSON.stringify({
          id: next,
          method: 'NodeWorker.sendMessageToWorker',
          params: { sessionId: session, message: text },
        }),
      );
    }
    return answered;
  };
  // A worker asleep in Atomics.wait (the log's writer thread between batches) runs no
  // inspector task until woken, so its answer may never come: such an isolate is left out
  // after WORKER_WAIT_MS (it is counted apart) instead of hanging the benchmark.
  const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
    Promise.race([
      p,
      new Promise<undefined>((res) => {
        setTimeout(() => {
          res(undefined);
        }, ms).unref();
      }),
    ]);
  const heapOf = async (session: string): Promise<number | undefined> => {
    const ask = async (): Promise<number> => {
      await call(collect, session);
      await call(collect, session);
      const r = (await call(usage, session)) as { result: { value: NodeJS.MemoryUsage } };
      return r.result.value.heapTotal - r.result.value.heapUsed;
    };
    return session === '' ? ask() : within(ask(), WORKER_WAIT_MS);
  };
  try {
    // The inspector announces every running worker before it answers enable.
    await call({ method: 'NodeWorker.enable', params: { waitForDebuggerOnStart: false } });
    let freeBytes = (await heapOf('')) ?? 0;
    let silent = 0;
    for (const w of workers) {
      const free = await heapOf(w);
      if (free === undefined) silent += 1;
      else freeBytes += free;
    }
    await call({ method: 'NodeWorker.disable' });
    return { isolates: 1 + workers.length - silent, silent, freeBytes };
  } finally {
    ws.close();
  }
};
