import WebSocket from 'ws';

// A raw websocket client for the end-to-end tests: it records every frame, in order, and
// lets a test wait for the next frame that matches. No protocol logic of its own, so the
// tests see exactly what the server sends.
export type Frame = Record<string, unknown> & { type: string };

export interface TestSocket {
  readonly frames: Frame[];
  send(frame: unknown): void;
  sendRaw(text: string): void;
  /** Resolves with the first frame (from `from`, default: not yet consumed) matching `match`. */
  next(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Frames of one type received so far. */
  ofType(type: string): Frame[];
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export type Via = 'header' | 'query' | 'cookie';

export const wsUrl = (server: { port: number }, query = ''): string =>
  `ws://127.0.0.1:${server.port}/api/v2/ws${query}`;

export const openSocket = (
  server: { port: number },
  token: string,
  opts: { since?: string; via?: Via } = {},
): Promise<TestSocket> => {
  const via = opts.via ?? 'header';
  const params = new URLSearchParams();
  if (opts.since !== undefined) params.set('since', opts.since);
  if (via === 'query') params.set('token', token);
  const q = params.toString();
  const headers: Record<string, string> = {};
  if (via === 'header') headers['authorization'] = `Bearer ${token}`;
  if (via === 'cookie') headers['cookie'] = `theme=dark; xsajwt=${token}`;
  const ws = new WebSocket(wsUrl(server, q === '' ? '' : `?${q}`), { headers });
  const frames: Frame[] = [];
  let cursor = 0;
  const waiters = new Set<() => void>();
  ws.on('message', (data: Buffer) => {
    frames.push(JSON.parse(data.toString('utf8')) as Frame);
    for (const w of waiters) w();
  });
  // How the socket closed, once it has: a wait for a frame that has not come by then fails at once,
  // naming the close (a socket the server closed used to show as a 10 s timeout with no frames).
  let ended: { code: number; reason: string } | undefined;
  // An error after the upgrade (a frame the client refused, a reset connection) comes before a
  // 1006 close and says what the close code cannot: named in a failed wait, not in `closed`.
  let failure = '';
  ws.on('error', (e) => {
    failure = `; client error: ${e.message}`;
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      ended = { code, reason: reason.toString() };
      resolve(ended);
      for (const w of [...waiters]) w();
    });
  });
  const socket: TestSocket = {
    frames,
    send: (f) => {
      ws.send(JSON.stringify(f));
    },
    sendRaw: (text) => {
      ws.send(text);
    },
    ofType: (type) => frames.filter((f) => f.type === type),
    next: (match, timeoutMs = 10_000) =>
      new Promise<Frame>((resolve, reject) => {
        const check = (): boolean => {
          for (let i = cursor; i < frames.length; i += 1) {
            const f = frames[i];
            if (f !== undefined && match(f)) {
              cursor = i + 1;
              resolve(f);
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        if (ended !== undefined) {
          reject(
            new Error(
              `the socket had closed (${String(ended.code)} ${ended.reason}${failure}) before a matching frame`,
            ),
          );
          return;
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(cursor)).slice(0, 2000)}`,
            ),
          );
        }, timeoutMs);
        const waiter = (): void => {
          if (check()) {
            clearTimeout(timer);
            waiters.delete(waiter);
          } else if (ended !== undefined) {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(
              new Error(
                `the socket closed (${String(ended.code)} ${ended.reason}${failure}) before a matching frame; got ${JSON.stringify(frames.slice(cursor)).slice(0, 2000)}`,
              ),
            );
          }
        };
        waiters.add(waiter);
      }),
    closed,
    close: async () => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      resolve(socket);
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => {
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body }),
        );
      });
    });
  });
};

/** Opens a socket and waits until the session is live (its `unseen` snapshot arrived). */
export const openLive = async (
  server: { port: number },
  token: string,
  opts: { since?: string; via?: Via } = {},
): Promise<TestSocket> => {
  const s = await openSocket(server, token, opts);
  await s.next((f) => f.type === 'hello');
  await s.next((f) => f.type === 'unseen');
  return s;
};

/** The status and JSON body of a refused upgrade. */
export const refusedUpgrade = (
  server: { port: number },
  opts: { headers?: Record<string, string>; query?: string } = {},
): Promise<{ status: number; body: unknown }> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(server, opts.query ?? ''), { headers: opts.headers ?? {} });
    ws.once('open', () => {
      ws.close();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as unknown });
      });
    });
  });
