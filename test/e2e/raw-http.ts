import { connect } from 'node:net';
import { expect } from 'vitest';
import type { Server } from './harness.js';

// Raw HTTP/1.1 over a TCP socket, for what fetch cannot send: pipelined requests, duplicate
// framing headers, malformed request lines. The answer is every byte the server wrote and how
// the connection ended; `responses` splits the bytes into status, headers and body.
export interface RawAnswer {
  readonly bytes: string;
  /** `end`: the server closed it (FIN); `reset`: ECONNRESET; `open`: still open when `untilMs` passed. */
  readonly ended: 'end' | 'reset' | 'open';
  readonly responses: RawResponse[];
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export const parseResponses = (bytes: string): RawResponse[] => {
  const out: RawResponse[] = [];
  let rest = bytes;
  for (;;) {
    const head = rest.indexOf('\r\n\r\n');
    if (head < 0) return out;
    const lines = rest.slice(0, head).split('\r\n');
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    out.push({ status, headers, body: rest.slice(head + 4, head + 4 + length) });
    rest = rest.slice(head + 4 + length);
  }
};

/**
 * Writes `payload` in one write (so pipelined requests arrive together), then collects what
 * comes back until the server ends the connection, `expect` responses arrived, or `untilMs`.
 */
export const rawHttp = (
  server: { port: number },
  payload: string,
  opts: { expect?: number; untilMs?: number } = {},
): Promise<RawAnswer> =>
  new Promise((resolve) => {
    const socket = connect(server.port, '127.0.0.1');
    let bytes = '';
    let ended: RawAnswer['ended'] = 'open';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes, ended, responses: parseResponses(bytes) });
    };
    const timer = setTimeout(done, opts.untilMs ?? 10_000);
    socket.on('data', (d: Buffer) => {
      bytes += d.toString('latin1');
      if (opts.expect !== undefined && parseResponses(bytes).length >= opts.expect) done();
    });
    socket.on('end', () => {
      ended = 'end';
      done();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      ended = e.code === 'ECONNRESET' ? 'reset' : 'end';
      done();
    });
    socket.on('connect', () => {
      socket.write(payload, 'latin1');
    });
  });

/** A request as text; `Host` comes first unless `host: false`. */
export const rawRequest = (method: string, path: string, headers: Record<string, string> = {}, body = ''): string => {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  if (body !== '' && headers['Content-Length'] === undefined && headers['Transfer-Encoding'] === undefined)
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
};

/**
 * After each hostile input: the process is still running, answers a request, and has logged
 * nothing at error level or above (an unhandled error is logged at error level; a crash
 * prints a stack trace to stderr).
 */
export const expectHealthy = async (server: Server): Promise<void> => {
  expect(server.proc.exitCode).toBeNull();
  expect(server.proc.signalCode).toBeNull();
  const ping = await fetch(`${server.url}/api/v2/ping`);
  expect(ping.status).toBe(200);
  expect(await ping.json()).toBe(true);
  expect(server.output()).not.toMatch(/"level":(50|60)|unhandled|Uncaught|RangeError|URIError|TypeError/);
};
