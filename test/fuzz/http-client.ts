import { request } from 'node:http';

// One HTTP request on its own connection, with the exact request target the case chose (node's
// client sends the path as given: no dot-segment removal, no re-encoding, unlike fetch/undici),
// bounded in time. The answer, or how the connection ended without one.
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  readonly json: unknown;
}
export type Outcome = { readonly answered: Answer } | { readonly unanswered: string };

/** Bytes outside visible ASCII, percent-encoded as UTF-8 (node refuses them in a request target). */
export const wireSafe = (target: string): string =>
  [...Buffer.from(target, 'utf8')]
    .map((b) => (b > 0x20 && b < 0x7f ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

export const send = (
  port: number,
  req: { method: string; target: string; headers: Record<string, string>; body?: Buffer | undefined },
  timeoutMs = 15_000,
): Promise<Outcome> =>
  new Promise((resolve) => {
    let settled = false;
    const done = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const headers = { ...req.headers };
    if (req.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length'))
      headers['Content-Length'] = String(req.body.byteLength);
    const r = request(
      { host: '127.0.0.1', port, method: req.method, path: wireSafe(req.target), headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => {
          done({ unanswered: `response broke off: ${e.message}` });
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const hs: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) hs[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
          done({ answered: { status: res.statusCode ?? 0, headers: hs, text, json: parsed(text) } });
        });
      },
    );
    const timer = setTimeout(() => {
      r.destroy();
      done({ unanswered: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    r.on('error', (e: NodeJS.ErrnoException) => {
      done({ unanswered: `${e.code ?? 'error'}: ${e.message}` });
    });
    r.end(req.body);
  });
