import type { BurstCase } from './burst.js';
import type { FlowCase } from './flows.js';
import type { HttpCase } from './http-case.js';
import { at, deep, ref, rep, type Value } from './leaves.js';
import type { RawCase } from './raw-cases.js';
import type { Case } from './runner.js';
import type { WsCase } from './ws-frames.js';

// The regression corpus: cases run before any seed, through the same oracles. The first are
// the issue 9 report's findings; a case the fuzzer finds is pasted here as fast-check printed
// it. `knownBug` marks a case that still fails, with where the fix belongs: the corpus run
// then requires it to fail (so it goes red the day it is fixed, and the mark must come off),
// and the seeds do not fail on problems that match it (they are counted in the report).
export interface KnownBug {
  /** Where the fix belongs and what it is (docs/fuzzing.md lists them). */
  readonly fix: string;
  /** The problem text the oracles report for it: random cases that hit it are not failed for it. */
  readonly matches: RegExp;
}

export interface CorpusEntry {
  readonly name: string;
  readonly case: Case;
  readonly knownBug?: KnownBug;
}

const user = { kind: 'user' as const, n: 0 };
const admin = { kind: 'admin' as const, n: 0 };
const http = (op: string, actor: HttpCase['actor'], rest: Partial<HttpCase> = {}): HttpCase => ({
  kind: 'http',
  op,
  actor,
  segments: {},
  query: [],
  body: { form: 'none' },
  ...rest,
});
const body = (value: Value): HttpCase['body'] => ({ form: 'json', value, type: 'application/json' });

export const CORPUS: readonly CorpusEntry[] = [
  {
    name: 'finding 1: malformed percent-encoding in a path parameter, no token',
    case: http('GET /api/v2/messages/{mid}', { kind: 'none', n: 0 }, { segments: { mid: '%E0%A4%A' } }),
  },
  {
    name: 'finding 2: a frame whose type nests 10,000 arrays',
    case: { kind: 'ws', actor: user, as: user, frames: [{ json: { type: deep('[', 10_000) } }] } satisfies WsCase,
  },
  {
    name: 'finding 3: opts nested 100 deep',
    case: http('POST /api/v2/publish', user, {
      body: body({ tid: ref('fresh', 0), msg: 'x', opts: { a: deep('{', 100) } }),
    }),
  },
  {
    name: 'finding 4: scheduled at the end of the Date range',
    case: http('POST /api/v2/publish', admin, {
      body: body({ tid: ref('fresh', 0), msg: 'x', scheduled: 8_640_000_000_000_000 }),
    }),
  },
  { name: 'finding 5: a token without exp', case: http('GET /api/v2/inbox', { kind: 'noexp', n: 0 }) },
  { name: 'finding 5: a token issued in the future', case: http('GET /api/v2/inbox', { kind: 'future', n: 0 }) },
  {
    name: 'finding 5: a websocket auth frame with a token without exp',
    case: {
      kind: 'ws',
      actor: user,
      as: { kind: 'noexp', n: 0 },
      frames: [{ json: { type: 'auth', token: '\u0001tok', id: '\u0001fid' } }],
    } satisfies WsCase,
  },
  {
    name: 'finding 6: a stranger subscribing to, reading and cancelling in a private thread answers as for unknown ids',
    case: {
      kind: 'flow',
      steps: [
        http('POST /api/v2/threads', user, { body: body({ tid: ref('fresh', 0) }) }),
        http('POST /api/v2/publish', user, {
          body: body({ tid: ref('tid', -1), msg: 'private', scheduled: at('ms', 3_600_000) }),
        }),
        http('POST /api/v2/subscribe', { kind: 'stranger', n: 0 }, { body: body({ tid: ref('tid', -1) }) }),
        http('GET /api/v2/threads/{tid}', { kind: 'stranger', n: 0 }, { segments: { tid: ref('tid', -1) } }),
        http(
          'POST /api/v2/cancel',
          { kind: 'stranger', n: 0 },
          { body: body({ mid: ref('mid', -1), tid: ref('tid', -1) }) },
        ),
        http('DELETE /api/v2/messages/{mid}', { kind: 'stranger', n: 0 }, { segments: { mid: ref('mid', -1) } }),
      ],
    } satisfies FlowCase,
  },
  {
    name: 'finding 7: a publish with a request pipelined behind it is not committed',
    case: { kind: 'raw', template: 'a command with a request pipelined behind it', n: 0 } satisfies RawCase,
  },
  {
    name: 'finding 7: duplicate Content-Length',
    case: { kind: 'raw', template: 'duplicate framing headers', n: 0 } satisfies RawCase,
  },
  {
    name: 'finding 8: enlisting a plain-http push endpoint',
    case: http('POST /api/v2/enlist', user, {
      body: body({ endpoint: 'http://169.254.169.254/latest', keys: { p256dh: 'k', auth: 'a' } }),
    }),
  },
  {
    name: 'finding 8: an error frame does not echo a 10,000-character id',
    case: {
      kind: 'ws',
      actor: user,
      as: user,
      frames: [{ json: { type: 'ping', id: rep('x', 10_000) } }],
    } satisfies WsCase,
  },
  {
    name: 'a non-ASCII Idempotency-Key (uWS reads it as empty): 400 naming the header, never run twice',
    case: {
      kind: 'burst',
      copies: 2,
      case: http('POST /api/v2/publish', user, {
        body: body({ tid: ref('fresh', 0), msg: 'once' }),
        idempotencyKey: 'é',
      }),
    } satisfies BurstCase,
  },
  {
    name: 'an Idempotency-Key of white space only (uWS reads it as empty): 400 naming the header',
    case: {
      kind: 'burst',
      copies: 2,
      case: http('POST /api/v2/publish', user, {
        body: body({ tid: ref('fresh', 0), msg: 'once' }),
        idempotencyKey: '   ',
      }),
    } satisfies BurstCase,
  },
  {
    name: 'a HEAD request: answered without content, so a keep-alive client reads the next answer right',
    case: http('POST /api/v2/publish', { kind: 'none', n: 0 }, { method: 'HEAD' }),
  },
];

/** The known bugs' problem patterns (corpus entries marked knownBug). */
export const knownBugs = (): readonly KnownBug[] =>
  CORPUS.flatMap((e) => (e.knownBug === undefined ? [] : [e.knownBug]));
