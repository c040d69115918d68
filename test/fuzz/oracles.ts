import type { Server } from '../e2e/harness.js';
import { isRefused, type ActorSpec } from './actors.js';
import type { Operation } from './api-doc.js';
import { send, type Answer } from './http-client.js';
import { conforms } from './validate.js';

// The oracles every case is judged by, each returning what it saw wrong (empty: fine).

/** The process runs and answers a ping. */
export const alive = async (server: Server): Promise<string[]> => {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null)
    return [`the server process ended (exit ${server.proc.exitCode}, signal ${server.proc.signalCode})`];
  const o = await send(server.port, { method: 'GET', target: '/api/v2/ping', headers: {} }, 10_000);
  if ('unanswered' in o) return [`ping unanswered: ${o.unanswered}`];
  return o.answered.status === 200 && o.answered.text === 'true'
    ? []
    : [`ping answered ${o.answered.status} ${o.answered.text}`];
};

/**
 * Reads the server's log (the harness captures stdout and stderr) from where it last stopped:
 * a line at error level or above, or any line that is not the logger's JSON (a stack trace,
 * an uncaught exception), is a problem. Warnings are counted by message for the report.
 */
export class LogWatch {
  private offset: number;
  readonly warnings = new Map<string, number>();
  constructor(private readonly server: Server) {
    this.offset = server.output().length;
  }

  problems(): string[] {
    const out = this.server.output();
    const end = out.lastIndexOf('\n') + 1;
    if (end <= this.offset) return [];
    const lines = out.slice(this.offset, end).split('\n');
    this.offset = end;
    const found: string[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      let entry: { level?: unknown; msg?: unknown } | undefined;
      try {
        entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
      } catch {
        found.push(`a log line that is not the logger's: ${line.slice(0, 500)}`);
        continue;
      }
      const level = typeof entry.level === 'number' ? entry.level : 0;
      if (level >= 50) found.push(`an error in the log: ${line.slice(0, 1000)}`);
      else if (level === 40) this.warnings.set(String(entry.msg), (this.warnings.get(String(entry.msg)) ?? 0) + 1);
    }
    return found;
  }
}

export interface Judged {
  readonly op: Operation;
  readonly actor: ActorSpec;
  /** The caller's roles, for a caller with a valid token. */
  readonly roles: readonly string[];
  readonly answer: Answer;
}

const mayCall = (op: Operation, roles: readonly string[]): boolean =>
  op.access === 'public' ||
  op.access === 'user' ||
  roles.includes('admin') ||
  (op.access === 'auditor' && roles.includes('auditor')) ||
  (op.access === 'analyst' && roles.includes('analyst'));

/** Refusals that come before the token is looked at: the request's form, not its caller. */
const formRefusal = (a: Answer): boolean => {
  const code = (a.json as { code?: unknown } | undefined)?.code;
  return a.status === 413 || (a.status === 400 && (code === 'InvalidPathParameter' || code === 'BadRequestFraming'));
};

/** No 5xx; statuses the document lists; the same rules of who may call what for every route. */
export const judge = ({ op, actor, roles, answer: a }: Judged): string[] => {
  const problems: string[] = [];
  const code = (a.json as { code?: unknown } | undefined)?.code;
  if (a.status >= 500)
    problems.push(`answered ${a.status}: ${a.text.slice(0, 300)} (request id ${a.headers['x-request-id'] ?? '?'})`);
  if (!op.statuses.has(a.status) && !(a.status >= 500))
    problems.push(`answered ${a.status} ${String(code)}, a status the OpenAPI document does not list for ${op.key}`);
  if (op.access !== 'public' && isRefused(actor)) {
    if (a.status < 300) problems.push(`a caller with a refused token (${actor.kind}) got ${a.status}`);
    else if (a.status !== 401 && !formRefusal(a))
      problems.push(`a refused token (${actor.kind}) got ${a.status} ${String(code)}, not 401`);
  } else if (!isRefused(actor) && !mayCall(op, roles)) {
    if (a.status < 300)
      problems.push(`a caller with roles [${roles.join(',')}] got ${a.status} on a route for ${op.access}`);
    else if (a.status !== 403 && !formRefusal(a))
      problems.push(`a caller without the role got ${a.status} ${String(code)}, not 403`);
  } else if (a.status === 401) problems.push(`a valid token (${actor.kind}) was refused: ${a.text.slice(0, 200)}`);
  if (a.status >= 400) {
    const e = a.json as { code?: unknown; msg?: unknown } | undefined;
    if (typeof e?.code !== 'string' || typeof e.msg !== 'string')
      problems.push(`error answer is not {code, msg}: ${a.text.slice(0, 200)}`);
    else if (a.text.length > 4000)
      problems.push(`error answer of ${a.text.length} characters (echoes input unbounded?)`);
  }
  if (a.status >= 200 && a.status < 300 && op.okSchema !== undefined) {
    const bad = conforms(a.json, op.okSchema);
    if (bad.length > 0) problems.push(`answer does not conform to the document: ${bad.slice(0, 5).join('; ')}`);
  }
  return problems;
};
