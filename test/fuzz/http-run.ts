import type { Caller, Callers } from './actors.js';
import type { ApiDoc, Operation } from './api-doc.js';
import { renderHttp, type HttpCase } from './http-case.js';
import { send, wireSafe, type Answer } from './http-client.js';
import { renderText, type Resolver } from './leaves.js';
import { judge } from './oracles.js';
import { readBack } from './readback.js';
import type { Reader } from './reader.js';
import { SERVER_LIMITS } from './settings.js';
import type { World } from './world.js';

// Runs one HTTP case: sends it, judges the answer, reads a 2xx write back, and for a stranger
// checks that what is hidden from them answers exactly as what does not exist.
export interface HttpDeps {
  readonly port: number;
  readonly doc: ApiDoc;
  readonly callers: Callers;
  readonly reader: Reader;
  readonly world: World;
  /** Statuses seen per operation, for the report. */
  readonly seen: Map<string, number>;
}

const decoded = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The answer without what may differ between two requests (the ids named in it). */
const shape = (a: Answer, ids: readonly string[]): string => {
  let text = a.text;
  for (const id of ids) text = text.split(id).join('<id>');
  return `${a.status} ${text}`;
};

/** A header value uWS 20.30 reads as empty (docs/http-edges.md): the broker cannot see it. */
export const NON_ASCII = /[^\t\x20-\x7e]/;

/** The methods uWS parses; it closes the connection on any other, unanswered (docs/http-edges.md). */
const UWS_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'CONNECT', 'TRACE']);

// Writes that claim a name (a taken tid is a 409, publishing where you may not is a 403): the
// README lists these as the answers a claim necessarily gives away.
const CLAIMS = new Set(['POST /api/v2/publish', 'POST /api/v2/threads']);

export const runHttpCase = async (
  c: HttpCase,
  r: Resolver & { used: Map<string, string> },
  d: HttpDeps,
  /** A caller already chosen (copies of one case in a burst are the same caller), and who wants the answer. */
  opts: { who?: Caller; onAnswer?: (a: Answer) => void } = {},
): Promise<string[]> => {
  const named = d.doc.byKey.get(c.op);
  if (named === undefined) return [`the case names ${c.op}, which the OpenAPI document does not have`];
  const op: Operation | undefined = c.method === undefined ? named : d.doc.byKey.get(`${c.method} ${named.path}`);
  const who = opts.who ?? (await d.callers.caller(c.actor));
  const req = renderHttp(c, named, r, who.header);
  const o = await send(d.port, req);
  if ('unanswered' in o) {
    // An oversized body may be refused (413) before it is all written: the socket can reset
    // first. A method uWS does not know is closed unanswered (docs/http-edges.md).
    // So is a request line and headers over 4 KB that arrive in more than one read (uWS buffers
    // at most 4 KB of an unfinished header section), or over about 64 KB at all.
    const oversize = (req.body?.byteLength ?? 0) > SERVER_LIMITS.bodyLimit;
    const head = wireSafe(req.target).length + Object.values(req.headers).reduce((n, v) => n + v.length, 0);
    const documented = oversize || head > SERVER_LIMITS.splitHeaderBytes || !UWS_METHODS.has(req.method);
    return documented ? [] : [`${req.method} ${req.target.slice(0, 200)}: ${o.unanswered}`];
  }
  const a = o.answered;
  opts.onAnswer?.(a);
  const code = (a.json as { code?: unknown } | undefined)?.code;
  const seenAs = `${op?.key ?? `${req.method} ${named.path}`} ${a.status}${typeof code === 'string' ? ` ${code}` : ''}`;
  d.seen.set(seenAs, (d.seen.get(seenAs) ?? 0) + 1);
  if (op === undefined) {
    // A method the path does not have: 405 naming the allowed ones (HEAD of a GET route may be served).
    if (a.status === 405 && a.headers['allow'] !== undefined) return [];
    return req.method === 'HEAD' && a.status < 500
      ? []
      : [`${req.method} ${named.path}: answered ${a.status}, not 405 with Allow`];
  }
  const problems = judge({ op, actor: c.actor, roles: who.roles, answer: a });
  // README: an Idempotency-Key that is not 1..255 visible ASCII characters is a 400. uWS reads
  // one with a byte above 0x7f, or of white space only, as empty: the broker must still see it.
  const key = req.headers['Idempotency-Key'];
  if (key !== undefined && op.idempotent && a.status < 300) {
    if (NON_ASCII.test(key)) problems.push(`a non-ASCII Idempotency-Key was ignored: answered ${a.status}, not 400`);
    else if (key.trim() === '') problems.push(`a blank Idempotency-Key was ignored: answered ${a.status}, not 400`);
  }
  if (who.uid !== undefined && c.actor.kind !== 'stranger') d.world.addUser(who.uid);
  if (a.status >= 200 && a.status < 300 && op.method !== 'GET' && who.uid !== undefined) {
    let sent: Record<string, unknown> = {};
    try {
      const v = req.json === undefined ? undefined : (JSON.parse(req.json) as unknown);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) sent = v as Record<string, unknown>;
    } catch {
      problems.push(`answered ${a.status} to a body that is not JSON`);
    }
    const params = Object.fromEntries(Object.entries(c.segments).map(([k, v]) => [k, decoded(renderText(v, r))]));
    problems.push(
      ...(await readBack({
        key: op.key,
        uid: who.uid,
        roles: [...who.roles],
        sent,
        params,
        answer: a,
        reader: d.reader,
        world: d.world,
      })),
    );
  }
  if (c.actor.kind === 'stranger' && !CLAIMS.has(op.key) && c.idempotencyKey === undefined && who.header !== undefined)
    problems.push(...(await sameAsUnknown(c, named, r, d, who.header, a)));
  return problems.map((p) => `${req.method} ${req.target.slice(0, 160)} as ${c.actor.kind}: ${p}`);
};

/** No existence oracle: the stranger's answer about hidden threads and messages equals the one about fresh ids. */
const sameAsUnknown = async (
  c: HttpCase,
  op: Operation,
  r: Resolver & { used: Map<string, string> },
  d: HttpDeps,
  header: string,
  a: Answer,
): Promise<string[]> => {
  const existing = [...r.used.entries()].filter(([k]) => k.startsWith('tid:') || k.startsWith('mid:'));
  const hidden = (id: string): boolean => {
    const t = d.world.threads.get(id);
    if (t !== undefined) return !t.opens;
    const m = d.world.messages.get(id);
    return m !== undefined && !m.broadcast;
  };
  const known = existing.filter(([, id]) => d.world.threads.has(id) || d.world.messages.has(id));
  if (known.length === 0 || !known.every(([, id]) => hidden(id))) return [];
  const swap = new Map(known.map(([k]) => [k, d.world.freshId()]));
  const other: Resolver = { now: () => r.now(), id: (kind, n) => swap.get(`${kind}:${n}`) ?? r.id(kind, n) };
  const req = renderHttp(c, op, other, header);
  const o = await send(d.port, req);
  if ('unanswered' in o) return [`the same request about unknown ids was not answered: ${o.unanswered}`];
  const ids = [...known.map(([, id]) => id), ...swap.values()];
  const [hiddenShape, unknownShape] = [shape(a, ids), shape(o.answered, ids)];
  return hiddenShape === unknownShape
    ? []
    : [
        `existence oracle: about hidden ids it answers ${hiddenShape.slice(0, 300)}, about unknown ones ${unknownShape.slice(0, 300)}`,
      ];
};
