import { randomUUID } from 'node:crypto';
import type { Logger } from '../ports/log.js';
import { errors, type ApiError } from './errors.js';
import { thrownText } from './guard.js';
import { answerInternalFailure, writeReply, type Exchange } from './reply.js';
import type { RouteReply } from './route.js';
import type { TemplatedApp } from './uws.js';

// The HTTP side of a node without the API (MSGXC_ROLE=reactors): a few public GETs for
// probes and scrapers (/healthz, /readyz, /metrics), and a 404 for everything else. No
// body is read, no token is looked at: nothing here acts on the broker.
export interface Probe {
  readonly path: string;
  readonly answer: () => Promise<RouteReply | ApiError>;
}

export const mountProbes = (app: TemplatedApp, probes: readonly Probe[], log: Logger): void => {
  for (const p of probes) {
    app.get(p.path, (res) => {
      const x: Exchange = { aborted: false, requestId: randomUUID() };
      res.onAborted(() => {
        x.aborted = true;
      });
      p.answer().then(
        (reply) => writeReply(res, x, reply, x.requestId),
        (e: unknown) => {
          log.error({ err: thrownText(e), path: p.path }, 'probe failed');
          answerInternalFailure(res, x);
        },
      );
    });
  }
  const paths = probes.map((p) => p.path).join(', ');
  app.any('/*', (res) => {
    writeReply(res, { aborted: false }, errors.notFound(`a reactors node serves only ${paths}`), randomUUID());
  });
};
