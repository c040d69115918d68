// HTTP/1.1 plumbing for the stand-ins that speak it (web push, FCM, SendGrid, Twilio): a
// server on 127.0.0.1 (HTTPS with the test certificate, or plain HTTP), and the one place
// that turns a planned Answer into bytes on the wire.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { bodyOf, type Answer } from './recorder.js';
import type { TestPki } from './tls.js';

export interface StandinServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export const listen = async (handler: Handler, pki?: TestPki): Promise<StandinServer> => {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handler(req, res);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  };
  const server: Server =
    pki === undefined ? createHttpServer(onRequest) : createHttpsServer({ cert: pki.cert, key: pki.key }, onRequest);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${pki === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
};

/** Writes `answer`, or `fallback` (the provider's success) when nothing was planned. */
export const answerWith = (res: ServerResponse, answer: Answer | undefined, fallback: Answer): void => {
  const a = answer ?? fallback;
  if (a.kind === 'hang') return;
  if (a.kind === 'reset') {
    res.socket?.destroy();
    return;
  }
  const body = bodyOf(a);
  const type = typeof a.body === 'object' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
  res.writeHead(a.status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...a.headers });
  res.end(body);
};
