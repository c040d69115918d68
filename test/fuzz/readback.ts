import type { Answer } from './http-client.js';
import type { Reader } from './reader.js';
import { manageRules } from './readback-manage.js';
import { messageRules } from './readback-messages.js';
import { otherRules } from './readback-others.js';
import { audienceRules } from './readback-audiences.js';
import type { World } from './world.js';

// The read-back oracle: a write the server answered 2xx is durable, so its effect can be read
// back through the API at once (reads wait for the projections to reach the log head). One
// rule per write operation of the OpenAPI document, keyed like the document (`POST /path`);
// a write operation without a rule fails the run (see missingRules), so a new route cannot
// slip past. Websocket frames that change state are checked by the rule of their HTTP twin.
export interface WriteContext {
  readonly key: string;
  readonly uid: string;
  readonly roles: string[];
  /** The body as the server parsed it (marked leaves resolved), when it was JSON. */
  readonly sent: Record<string, unknown>;
  /** Path parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly answer: Answer;
  readonly reader: Reader;
  readonly world: World;
}
export type ReadBack = (c: WriteContext) => Promise<string[]>;

export const READ_BACKS: Readonly<Record<string, ReadBack>> = {
  ...messageRules,
  ...otherRules,
  ...manageRules,
  ...audienceRules,
};

/** Write operations (anything but GET) that have no read-back rule. */
export const missingRules = (keys: readonly string[]): string[] =>
  keys.filter((k) => !k.startsWith('GET ') && !(k in READ_BACKS));

/** JSON text with keys sorted and -0 written as 0: equal values, equal text. */
export const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return v === undefined ? 'undefined' : JSON.stringify(v);
};

export const differs = (what: string, got: unknown, want: unknown): string[] =>
  canonical(got) === canonical(want)
    ? []
    : [`${what}: read back ${canonical(got).slice(0, 300)}, sent ${canonical(want).slice(0, 300)}`];

/** Every 2xx write that names a log position (X-Position) has an event at that position. */
export const positionReadBack = async (c: WriteContext, position: number): Promise<string[]> => {
  const a = await c.reader.as('fz-auditor', ['auditor'], 'GET', `/api/v2/events?after=${position - 1}&limit=1`);
  const first = (a.json as { events?: { position?: number }[] } | undefined)?.events?.[0];
  return a.status === 200 && first?.position === position
    ? []
    : [`X-Position ${position}: no event at that position in GET /api/v2/events (${a.status} ${a.text.slice(0, 200)})`];
};

export const readBack = async (c: WriteContext): Promise<string[]> => {
  const rule = READ_BACKS[c.key];
  if (rule === undefined) return [`${c.key} answered ${c.answer.status} and has no read-back rule`];
  const problems = await rule(c);
  const p = c.answer.headers['x-position'];
  if (p !== undefined) problems.push(...(await positionReadBack(c, Number(p))));
  return problems.map((msg) => `read-back of ${c.key}: ${msg}`);
};
