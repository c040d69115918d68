// What reading a request's headers costs inside a uWS handler, by way of reading them:
// `node dist/bench/header-reads.js [requests] [repeat]`. One in-process uWS app; each request
// (a short curl-like head and a browser-like one of 12 headers) runs every variant `repeat`
// times on the live request object, timed with hrtime, alternating the order; the figure is
// the median nanoseconds per read of the whole head. No network load and no wrk: a few hundred
// requests on loopback, so it runs on the shared 2-core machine. Used for docs/http-edges.md
// (one walk of the headers against the getHeader look-ups it replaces).
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { loadUws, type HttpRequest } from '../api/uws.js';
import { capture } from '../api/capture.js';
import { median } from './median.js';

const ONE = ['authorization', 'idempotency-key', 'content-type', 'x-request-id', 'origin', 'host'];

const variants: Record<string, (req: HttpRequest) => unknown> = {
  // The look-ups capture() made before it walked the headers (six getHeader, no walk for a GET).
  getHeaders: (req) => [
    req.getHeader('x-request-id'),
    req.getHeader('content-length'),
    req.getHeader('transfer-encoding'),
    req.getHeader('authorization'),
    req.getHeader('idempotency-key'),
    req.getHeader('content-type'),
  ],
  // The same look-ups and a walk that only counts the single headers.
  getHeadersAndCount: (req) => {
    const seen = new Set<string>();
    let dup = '';
    req.forEach((k) => {
      if (ONE.includes(k)) {
        if (seen.has(k)) dup = k;
        seen.add(k);
      }
    });
    return [variants['getHeaders']?.(req), dup];
  },
  // A bare walk, nothing done per header: the floor of any walk.
  emptyWalk: (req) => {
    let n = 0;
    req.forEach(() => {
      n += 1;
    });
    return n;
  },
  // capture() as it was before the walk (commit bc7cbd4): six look-ups, the query, the URL.
  captureBefore: (req) => {
    const rid = req.getHeader('x-request-id');
    const requestId = /^[\w.-]{1,64}$/.test(rid) ? rid : randomUUID();
    const contentLength = req.getHeader('content-length');
    const transferEncoding = req.getHeader('transfer-encoding');
    if (contentLength !== '' || transferEncoding !== '') throw new Error('a GET is measured here');
    return {
      url: req.getUrl(),
      query: new URLSearchParams(req.getQuery()),
      params: {},
      authorization: req.getHeader('authorization'),
      idempotencyKey: req.getHeader('idempotency-key'),
      contentType: req.getHeader('content-type'),
      contentLength,
      requestId,
    };
  },
  // What the broker does now (api/capture.ts): one walk reads every header it needs and counts them.
  capture: (req) => capture(req, []),
};

const heads = {
  curl: ['Host: 127.0.0.1', 'User-Agent: curl/7.88.1', 'Accept: */*', 'Authorization: Bearer '.padEnd(200, 'x')],
  browser: [
    'Host: broker.example.com',
    'Connection: keep-alive',
    `User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36`,
    'Accept: application/json',
    'Accept-Encoding: gzip, deflate, br',
    'Accept-Language: en-GB,en;q=0.9',
    'Origin: https://app.example.com',
    'Referer: https://app.example.com/inbox',
    'Authorization: Bearer '.padEnd(400, 'x'),
    'Content-Type: application/json',
    'X-Request-Id: 0123456789abcdef',
    `Cookie: ${'session=abc; '.repeat(40)}`,
  ],
};

const main = async (): Promise<void> => {
  const requests = Number(process.argv[2] ?? 300);
  const repeat = Number(process.argv[3] ?? 200);
  const { uws } = loadUws(false);
  const app = uws.App();
  const times: Record<string, Record<string, number[]>> = {};
  let kind = '';
  let turn = 0;
  let sink: unknown;
  app.get('/*', (res, req) => {
    const names = Object.keys(variants);
    // Alternate the order, so that neither the first nor the last variant is always favoured.
    if (turn++ % 2 === 1) names.reverse();
    for (const name of names) {
      const f = variants[name] ?? (() => undefined);
      const t = process.hrtime.bigint();
      for (let i = 0; i < repeat; i += 1) sink = f(req);
      const ns = Number(process.hrtime.bigint() - t) / repeat;
      ((times[kind] ??= {})[name] ??= []).push(ns);
    }
    res.end('ok');
  });
  const port = await new Promise<number>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (s) => {
      if (s === false) reject(new Error('listen failed'));
      else resolve(uws.us_socket_local_port(s));
    });
  });
  for (const [name, lines] of Object.entries(heads)) {
    kind = name;
    const request = `GET /x HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    // One request at a time: each is answered before the next is written.
    for (let i = 0; i < requests; i += 1) {
      await new Promise<void>((resolve) => {
        socket.once('data', () => {
          resolve();
        });
        socket.write(request);
      });
    }
    socket.destroy();
  }
  // Read, so the timed calls are not optimised away.
  console.log(`(last result: ${typeof sink})`);
  for (const [name, byVariant] of Object.entries(times)) {
    const base = median(byVariant['getHeaders'] ?? []);
    const before = median(byVariant['captureBefore'] ?? []);
    for (const [variant, ns] of Object.entries(byVariant))
      console.log(
        `${name.padEnd(8)} ${variant.padEnd(20)} ${median(ns).toFixed(0).padStart(6)} ns  (x${(median(ns) / base).toFixed(2)} of getHeaders, x${(median(ns) / before).toFixed(2)} of captureBefore)`,
      );
  }
  process.exit(0);
};

await main();
