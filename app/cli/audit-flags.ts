import * as E from 'fp-ts/lib/Either.js';
import { LogFilter } from '../../schema/audit.js';
import { isTimestamp } from '../../schema/bounds.js';
import { describeErrors } from '../../schema/errors.js';

// Flags of `msgxc audit ...`: `--name value` or `--name=value`; the filter flags are the
// audit routes' query parameters, decoded by the same codec (schema/audit.ts).
export type Flags = ReadonlyMap<string, string>;

export const parseFlags = (args: readonly string[], known: readonly string[]): E.Either<string, Flags> => {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (m?.[1] === undefined) return E.left(`unexpected argument ${JSON.stringify(arg.slice(0, 80))}`);
    const name = m[1];
    if (!known.includes(name))
      return E.left(`unknown flag --${name} (expected ${known.map((k) => `--${k}`).join(', ')})`);
    if (flags.has(name)) return E.left(`--${name} given twice`);
    const value = m[2] ?? (BOOLEAN.has(name) ? 'true' : args[++i]);
    if (value === undefined) return E.left(`--${name} needs a value`);
    flags.set(name, value);
  }
  return E.right(flags);
};

const BOOLEAN = new Set(['json']);

export const FILTER_FLAGS = ['type', 'stream', 'actor', 'correlation-id', 'from', 'to'] as const;
const FIELD_OF: Record<(typeof FILTER_FLAGS)[number], string> = {
  type: 'type',
  stream: 'stream',
  actor: 'actor',
  'correlation-id': 'correlationId',
  from: 'from',
  to: 'to',
};

export const filterFlags = (flags: Flags): E.Either<string, LogFilter> => {
  const input: Record<string, unknown> = {};
  for (const flag of FILTER_FLAGS) {
    const v = flags.get(flag);
    if (v !== undefined) input[FIELD_OF[flag]] = flag === 'type' ? v.split(',') : v;
  }
  const decoded = LogFilter.decode(input);
  if (E.isLeft(decoded)) {
    const [first = 'filter: invalid'] = describeErrors(decoded.left);
    const field = first.slice(0, first.indexOf(':')).replace(/\..*$/, '');
    const flag = FILTER_FLAGS.find((f) => FIELD_OF[f] === field) ?? field;
    return E.left(`--${flag}${first.slice(first.indexOf(':'))}`);
  }
  const f = decoded.right;
  if (f.from !== undefined && f.to !== undefined && Date.parse(f.from) >= Date.parse(f.to))
    return E.left('--to: must be later than --from');
  return E.right(f);
};

/** `replay`: --at and --dir required, at most one of --inbox and --thread, --limit 1..200. */
export const replayFlags = (
  flags: Flags,
): E.Either<string, { at: string; dir: string; inbox?: string; thread?: string; limit: number }> => {
  const at = flags.get('at');
  const dir = flags.get('dir');
  if (at === undefined || !isTimestamp(at)) return E.left('--at: expected an ISO-8601 date-time between 1970 and 9999');
  if (dir === undefined || dir === '') return E.left('--dir: a directory for the replayed read models is needed');
  const inbox = flags.get('inbox');
  const thread = flags.get('thread');
  if (inbox !== undefined && thread !== undefined) return E.left('--inbox and --thread: give one of them');
  const limit = Number(flags.get('limit') ?? '50');
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return E.left('--limit: expected an integer 1..200');
  return E.right({
    at: new Date(at).toISOString(),
    dir,
    limit,
    ...(inbox !== undefined ? { inbox } : {}),
    ...(thread !== undefined ? { thread } : {}),
  });
};
