import type { Server } from '../e2e/harness.js';
import { rawHttp, type RawAnswer } from '../e2e/raw-http.js';
import type { Reader } from './reader.js';
import { TEMPLATES, type Built, type RawCase, type RawContext } from './raw-cases.js';

// Runs a raw HTTP case and holds its outcome to what docs/http-edges.md documents for it.
// Every wait is bounded: a request uWS holds for its ~10 s idle timeout is let go after 300 ms
// (no answer is the documented outcome; the process being alive is checked after every case).
const WAIT: Readonly<Record<Built['documented'], number>> = {
  answered: 5_000,
  framing400: 5_000,
  smuggled: 5_000,
  closed: 5_000,
  held: 300,
  reset: 5_000,
  resetOrAnswered: 5_000,
  upgrade: 5_000,
  anything: 300,
};

const codeOf = (body: string): unknown => {
  try {
    return (JSON.parse(body) as { code?: unknown }).code;
  } catch {
    return undefined;
  }
};

export const verdict = (b: Built, a: RawAnswer): string[] => {
  const statuses = a.responses.map((r) => r.status);
  const seen = `answers [${statuses.join(', ')}], connection ${a.ended}`;
  const fail = (want: string): string[] => [`documented: ${want}; got ${seen}`];
  if (statuses.some((s) => !(s >= 100 && s < 500))) return fail('never a 5xx or an unparsable status line');
  switch (b.documented) {
    case 'answered':
      return a.responses.length === b.expect ? [] : fail(`${b.expect} answers`);
    case 'framing400': {
      const [first] = a.responses;
      const ok =
        a.responses.length === 1 &&
        first?.status === 400 &&
        codeOf(first.body) === 'BadRequestFraming' &&
        first.headers['connection'] === 'close' &&
        a.ended !== 'open';
      return ok
        ? []
        : fail('one 400 BadRequestFraming with Connection: close, then closed, nothing behind it answered');
    }
    case 'smuggled': {
      const ok =
        a.ended !== 'open' && a.responses.every((r) => r.status === 400 && codeOf(r.body) === 'BadRequestFraming');
      return ok && a.responses.length <= 1
        ? []
        : fail('the connection closed, nothing behind the refused request answered');
    }
    case 'closed':
      return a.responses.length === 0 && a.ended !== 'open' ? [] : fail('no answer, the connection closed');
    case 'held':
      return a.responses.length === 0 ? [] : fail('no answer (held until the idle timeout)');
    case 'reset':
      return a.responses.length === 0 && a.ended !== 'open' ? [] : fail('no answer, the connection reset');
    case 'resetOrAnswered':
      return (a.responses.length === 0 && a.ended !== 'open') ||
        (a.responses.length === 1 && a.responses[0]?.status === 200)
        ? []
        : fail('no answer and a reset, or its one answer');
    case 'upgrade': {
      const [first] = a.responses;
      if (first === undefined) return fail('101 or a 4xx');
      if (first.status === 101) return [];
      return first.status >= 400 && typeof codeOf(first.body) === 'string' ? [] : fail('101 or a JSON 4xx');
    }
    case 'anything':
      return [];
    default: {
      const never: never = b.documented;
      return never;
    }
  }
};

/** Waits (bounded) for a log line, the evidence that the server decided about a request. */
const logged = async (server: Server, text: RegExp, ms = 5_000): Promise<boolean> => {
  const until = Date.now() + ms;
  while (!text.test(server.output())) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
};

export const runRawCase = async (c: RawCase, ctx: RawContext, server: Server, reader: Reader): Promise<string[]> => {
  const template = TEMPLATES[c.template];
  if (template === undefined) return [`unknown raw template ${c.template}`];
  const built = template(ctx, c.n, c.bytes ?? []);
  const answer = await rawHttp(server, built.payload, {
    ...(built.expect !== undefined ? { expect: built.expect } : {}),
    untilMs: WAIT[built.documented],
  });
  const problems = verdict(built, answer).map((p) => `${c.template}: ${p}`);
  if (built.uncommitted !== undefined) {
    const { tid, requestId } = built.uncommitted;
    if (!(await logged(server, new RegExp(`"reqId":"${requestId}"[^\\n]*request abandoned before it ran`))))
      problems.push(`${c.template}: the server never logged the pipelined publish ${requestId} as abandoned`);
    const t = await reader.admin(`/api/v2/threads/${encodeURIComponent(tid)}`);
    if (t.status !== 404)
      problems.push(`${c.template}: the unanswered publish was committed (thread ${tid}: ${t.status})`);
  }
  return problems;
};
