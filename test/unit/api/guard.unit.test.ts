import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createGuard } from '../../../api/guard.js';
import { mountRoute, type HttpDeps } from '../../../api/http.js';
import { createLogger } from '../../../app/log.js';
import { createMetrics } from '../../../api/metrics.js';
import type { Route } from '../../../api/route.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../../../api/uws.js';

// No throw escapes a callback uWS calls (api/guard.ts, api/http.ts). A real bug cannot be
// provoked through the running broker on purpose, so these drive the handlers with a stand-in
// for uWS's request and response objects and make each step throw in turn.
const logs = (): { lines: () => Record<string, unknown>[]; log: ReturnType<typeof createLogger> } => {
  let text = '';
  const out = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      text += chunk.toString();
      done();
    },
  });
  return {
    log: createLogger('debug', out),
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
};

interface Written {
  status?: string;
  headers: Record<string, string>;
  body?: string;
  closed: boolean;
}

const fakeRes = (
  opts: { corkThrows?: boolean } = {},
): { res: HttpResponse; written: Written; abort: () => void; data: (b: string) => void } => {
  const written: Written = { headers: {}, closed: false };
  let onAborted = (): void => undefined;
  let onData: (chunk: ArrayBuffer, last: boolean) => void = () => undefined;
  const res = {
    onAborted: (f: () => void) => {
      onAborted = f;
      return res;
    },
    onData: (f: (chunk: ArrayBuffer, last: boolean) => void) => {
      onData = f;
      return res;
    },
    cork: (f: () => void) => {
      if (opts.corkThrows === true) throw new Error('cork failed');
      f();
      return res;
    },
    writeStatus: (s: string) => {
      written.status = s;
      return res;
    },
    writeHeader: (k: string, v: string) => {
      written.headers[k] = v;
      return res;
    },
    end: (b: string) => {
      written.body = b;
      return res;
    },
    close: () => {
      written.closed = true;
      return res;
    },
  };
  return {
    res: res as unknown as HttpResponse,
    written,
    abort: () => {
      onAborted();
    },
    data: (b: string) => {
      const u = new TextEncoder().encode(b);
      onData(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength), true);
    },
  };
};

const fakeReq = (
  headers: Record<string, string>,
  params: string[] = [],
  opts: { getHeaderThrows?: boolean } = {},
): HttpRequest => {
  // A uWS request object used after its handler returned throws from every header read.
  const gone = (): void => {
    if (opts.getHeaderThrows === true) throw new Error('request object is gone');
  };
  return {
    getHeader: (k: string) => {
      gone();
      return headers[k] ?? '';
    },
    getParameter: (i: number) => params[i] ?? '',
    getUrl: () => '/t',
    getQuery: () => '',
    getMethod: () => 'get',
    forEach: (f: (k: string, v: string) => void) => {
      gone();
      for (const [k, v] of Object.entries(headers)) f(k, v);
    },
  } as unknown as HttpRequest;
};

const mount = (
  route: Partial<Route>,
  log: ReturnType<typeof createLogger>,
): ((res: HttpResponse, req: HttpRequest) => void) => {
  let handler: ((res: HttpResponse, req: HttpRequest) => void) | undefined;
  const app = {
    get: (_p: string, h: typeof handler) => {
      handler = h;
    },
    post: (_p: string, h: typeof handler) => {
      handler = h;
    },
    // GET routes also answer HEAD with the same handler; the test drives the GET one.
    head: () => undefined,
  } as unknown as TemplatedApp;
  const deps: HttpDeps = {
    verifier: { verify: () => Promise.resolve({ uid: 'u', roles: [], expiresAt: Number.MAX_SAFE_INTEGER }) },
    idempotency: { run: () => Promise.reject(new Error('unused')) },
    metrics: createMetrics(),
    log,
    bodyLimit: 1024,
    jsonMaxDepth: 32,
    newMessageId: () => 'mid',
    now: () => new Date(0),
    onActor: () => Promise.resolve(),
  };
  mountRoute(
    app,
    {
      method: 'get',
      path: '/t/{id}',
      access: 'public',
      summary: '',
      handler: () => Promise.resolve({ status: 200, body: true }),
      ...route,
    },
    deps,
  );
  if (handler === undefined) throw new Error('not mounted');
  return handler;
};

const settled = (): Promise<void> =>
  new Promise((r) => {
    setImmediate(r);
  });

describe('HTTP handlers never let a throw reach uWS', () => {
  it('a throw while reading the request: 500 with a request id, logged with the same id', () => {
    const { log, lines } = logs();
    const { res, written } = fakeRes();
    expect(() => {
      mount({}, log)(res, fakeReq({}, ['x'], { getHeaderThrows: true }));
    }).not.toThrow();
    expect(written.status).toBe('500 Internal Server Error');
    expect(JSON.parse(written.body ?? '')).toMatchObject({ code: 'InternalError' });
    const logged = lines().find((l) => l['msg'] === 'unhandled error');
    expect(logged).toMatchObject({
      level: 50,
      route: '/t/{id}',
      reqId: written.headers['X-Request-Id'],
      err: expect.stringMatching(/request object is gone/) as unknown,
    });
  });

  it('a reply that cannot be serialised: 500, logged, after the handler resolved', async () => {
    const { log, lines } = logs();
    const { res, written } = fakeRes();
    mount({ handler: () => Promise.resolve({ status: 200, body: { n: 1n } }) }, log)(
      res,
      fakeReq({ 'x-request-id': 'r-1' }, ['x']),
    );
    await settled();
    expect(written.status).toBe('500 Internal Server Error');
    expect(written.headers['X-Request-Id']).toBe('r-1');
    expect(lines().find((l) => l['msg'] === 'unhandled error')).toMatchObject({
      reqId: 'r-1',
      err: expect.stringMatching(/BigInt/) as unknown,
    });
  });

  it('a handler that rejects: 500, logged', async () => {
    const { log, lines } = logs();
    const { res, written } = fakeRes();
    mount({ handler: () => Promise.reject(new RangeError('Maximum call stack size exceeded')) }, log)(
      res,
      fakeReq({}, ['x']),
    );
    await settled();
    expect(written.status).toBe('500 Internal Server Error');
    expect(lines().some((l) => l['msg'] === 'unhandled error' && /Maximum call stack/.test(String(l['err'])))).toBe(
      true,
    );
  });

  it('when even writing the 500 fails, the connection is closed so the client knows', async () => {
    const { log, lines } = logs();
    const { res, written } = fakeRes({ corkThrows: true });
    // A framing refusal is answered on the next turn, from a timer: its write fails, then the 500's.
    mount({}, log)(res, fakeReq({ 'content-length': '1', 'transfer-encoding': 'chunked' }, ['x']));
    await settled();
    expect(written.closed).toBe(true);
    expect(lines().find((l) => l['msg'] === 'unhandled error')).toMatchObject({
      err: expect.stringMatching(/cork failed/) as unknown,
    });
  });

  it('a malformed path parameter is a 400 naming it, not a throw', () => {
    const { log } = logs();
    const { res, written } = fakeRes();
    mount({}, log)(res, fakeReq({}, ['%E0%A4%A']));
    expect(written.status).toBe('400 Bad Request');
    expect(JSON.parse(written.body ?? '')).toEqual({
      code: 'InvalidPathParameter',
      msg: 'id: malformed percent-encoding',
    });
  });

  it('a write request whose client went away before it ran is not run', async () => {
    const { log, lines } = logs();
    const { res, written, abort, data } = fakeRes();
    let ran = false;
    mount(
      {
        method: 'post',
        body: true,
        handler: () => {
          ran = true;
          return Promise.resolve({ status: 200, body: true });
        },
      },
      log,
    )(res, fakeReq({ 'x-request-id': 'gone' }, ['x']));
    data('{}');
    abort(); // what uWS does when a request is pipelined behind this one
    await settled();
    await settled();
    expect(ran).toBe(false);
    expect(written.status).toBeUndefined();
    expect(lines().find((l) => l['reqId'] === 'gone')).toMatchObject({
      level: 30,
      msg: 'request abandoned before it ran: the client closed the connection',
    });
  });
});

describe('createGuard', () => {
  it('logs a throw with where it happened, recovers, and lets nothing escape', () => {
    const { log, lines } = logs();
    const seen: unknown[] = [];
    const guarded = createGuard(log)(
      'a timer',
      (n: number) => {
        throw new Error(`boom ${n}`);
      },
      (_e, n) => {
        seen.push(n);
        throw new Error('recovery failed too');
      },
    );
    expect(() => {
      guarded(7);
    }).not.toThrow();
    expect(seen).toEqual([7]);
    expect(lines().map((l) => [l['level'], l['where'], l['msg']])).toEqual([
      [50, 'a timer', 'unhandled error in a callback'],
      [50, 'a timer', 'recovering from an unhandled error failed'],
    ]);
  });

  it('describes thrown non-errors briefly', () => {
    const { log, lines } = logs();
    createGuard(log)('x', () => {
      throw { huge: 'y'.repeat(100_000) } as unknown as Error;
    })();
    expect(String(lines()[0]?.['err'])).toBe('thrown: an object with key "huge"');
  });
});
