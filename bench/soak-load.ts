// The soak benchmark's load (bench/soak.ts): a mix of what the broker's users do, over HTTP
// keep-alive from this process, and websocket clients that come and go.
import WebSocket from 'ws';
import { tokenFor } from './broker.js';
import { pool, sleep } from './loadclient.js';

export const USERS = 200;
/** The status recorded for a 503 Overloaded (the node shed the request: nothing ran). */
export const SHED = 1503;
const THREADS = 20;
const tidOf = (u: number): string => `soak-t${u % THREADS}`;

export interface Workload {
  /** Runs one random operation; answers its HTTP status (0: the request failed). */
  op(): Promise<{ kind: string; status: number }>;
  readonly userTokens: readonly string[];
}

const request = async (base: string, method: string, path: string, tok: string, body?: unknown): Promise<number> => {
  try {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tok}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    // A node past its bound sheds with 503 Overloaded (docs/limits.md): told apart from failures.
    return r.status === 503 && text.includes('"Overloaded"') ? SHED : r.status;
  } catch {
    return 0;
  }
};

/** Twenty threads open to subscribe and publish, two hundred users each subscribed to one of them. */
export const setUp = async (base: string): Promise<Workload> => {
  const admin = await tokenFor('soak-admin', ['admin']);
  const userTokens = await Promise.all(Array.from({ length: USERS }, (_, u) => tokenFor(`soak-u${u}`)));
  for (let t = 0; t < THREADS; t += 1) {
    const s = await request(base, 'POST', '/api/v2/threads', admin, { tid: `soak-t${t}`, opens: true, openp: true });
    if (s !== 201) throw new Error(`creating soak-t${t}: ${s}`);
  }
  await pool(USERS, 4, async (u) => {
    const s = await request(base, 'POST', '/api/v2/subscribe', userTokens[u] ?? '', { tid: tidOf(u) });
    if (s !== 200) throw new Error(`subscribing soak-u${u}: ${s}`);
  });
  let n = 0;
  // Weights: publish 35, send 15, inbox 30, thread history 20 (per 100 operations).
  const op = async (): Promise<{ kind: string; status: number }> => {
    n += 1;
    const u = Math.floor(Math.random() * USERS);
    const tok = userTokens[u] ?? '';
    const r = Math.random() * 100;
    if (r < 35)
      return {
        kind: 'publish',
        status: await request(base, 'POST', '/api/v2/publish', tok, { tid: tidOf(u), msg: `soak ${n}` }),
      };
    if (r < 50)
      return {
        kind: 'send',
        status: await request(base, 'POST', '/api/v2/send', admin, { uid: `soak-u${u}`, msg: `direct ${n}` }),
      };
    if (r < 80) return { kind: 'inbox', status: await request(base, 'GET', '/api/v2/inbox?limit=20', tok) };
    return {
      kind: 'history',
      status: await request(base, 'GET', `/api/v2/threads/${tidOf(u)}/messages?limit=20`, tok),
    };
  };
  return { op, userTokens };
};

/** Closed loop: `concurrency` callers, each starting its next operation when the last is answered. */
export const measureCapacity = async (w: Workload, seconds: number, concurrency: number): Promise<number> => {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await w.op();
        if (r.status >= 200 && r.status < 300) done += 1;
      }
    }),
  );
  return done / seconds;
};

export interface OpenLoopTally {
  latencies: number[];
  errors: Record<string, number>;
  /** Answered 503 Overloaded: shed by the node. */
  shed: number;
  backlog: number;
  ops: number;
}

/**
 * Open loop: operations start at `rate` a second whatever the answers, as independent clients'
 * requests do; at most `maxInFlight` wait at once (beyond it the client counts a backlog: the
 * server has fallen behind). `tally()` hands over what was recorded since the last call.
 */
export const openLoop = (w: Workload, rate: number, maxInFlight: number) => {
  let tally: OpenLoopTally = { latencies: [], errors: {}, shed: 0, backlog: 0, ops: 0 };
  let inFlight = 0;
  const state = { running: true };
  const started = performance.now();
  let issued = 0;
  const one = async (): Promise<void> => {
    inFlight += 1;
    const t0 = performance.now();
    const r = await w.op();
    inFlight -= 1;
    const t = tally;
    t.ops += 1;
    if (r.status >= 200 && r.status < 300) t.latencies.push(performance.now() - t0);
    else if (r.status === SHED) t.shed += 1;
    else t.errors[`${r.kind} ${r.status}`] = (t.errors[`${r.kind} ${r.status}`] ?? 0) + 1;
  };
  const loop = (async () => {
    while (state.running) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      for (; issued < due; issued += 1) {
        if (inFlight >= maxInFlight) tally.backlog += 1;
        else void one();
      }
      await sleep(5);
    }
    while (inFlight > 0) await sleep(10);
  })();
  return {
    tally: (): OpenLoopTally => {
      const t = tally;
      tally = { latencies: [], errors: {}, shed: 0, backlog: 0, ops: 0 };
      return t;
    },
    stop: async (): Promise<void> => {
      state.running = false;
      await loop;
    },
  };
};

/** Websocket clients of the soak's users: `count` held open, `churnPerSec` closed and replaced each second. */
export const wsClients = (wsUrl: string, tokens: readonly string[], count: number, churnPerSec: number) => {
  const open = new Set<WebSocket>();
  const counts = { frames: 0, opened: 0, failed: 0 };
  let next = 0;
  let running = true;
  let pending = 0;
  const connect = (): void => {
    const tok = tokens[next % tokens.length] ?? '';
    next += 1;
    pending += 1;
    let settled = false;
    const settle = (): void => {
      if (!settled) pending -= 1;
      settled = true;
    };
    const ws = new WebSocket(`${wsUrl}?token=${tok}`);
    ws.on('open', () => {
      settle();
      open.add(ws);
      counts.opened += 1;
    });
    ws.on('message', () => {
      counts.frames += 1;
    });
    ws.on('error', () => {
      settle();
      counts.failed += 1;
    });
    ws.on('close', (code) => {
      settle();
      // Closed by the server (not by churn below, 1000): a failure of the session.
      if (open.delete(ws) && code !== 1000 && code !== 1005 && running) counts.failed += 1;
    });
  };
  for (let i = 0; i < count; i += 1) connect();
  const churn = setInterval(() => {
    const victims = [...open].slice(0, churnPerSec);
    for (const ws of victims) {
      open.delete(ws);
      ws.close(1000);
    }
    for (let i = open.size + pending; i < count; i += 1) connect();
  }, 1000);
  return {
    sessions: (): number => open.size,
    take: (): { frames: number; opened: number; failed: number } => {
      const c = { ...counts };
      counts.frames = 0;
      counts.opened = 0;
      counts.failed = 0;
      return c;
    },
    stop: (): void => {
      running = false;
      clearInterval(churn);
      for (const ws of open) ws.close(1000);
    },
  };
};
