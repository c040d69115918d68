import * as E from 'fp-ts/lib/Either.js';
import { LogFilter } from '../../schema/audit.js';
import { dayIsInMonth, isTimestamp } from '../../schema/bounds.js';
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

/** Where a replay builds its read models: SQLite files in a directory, or a Cassandra keyspace. */
export type ReplayTarget =
  | { readonly kind: 'dir'; readonly dir: string }
  | { readonly kind: 'keyspace'; readonly keyspace: string };

export interface ReplayFlags {
  readonly at: string;
  readonly target: ReplayTarget;
  readonly inbox?: string;
  readonly thread?: string;
  readonly limit: number;
}

// A replay keyspace's own generations are `<name>_g<N>` (projections/cassandra-generations.ts):
// the name leaves room for that suffix within Cassandra's 48 characters.
const REPLAY_KEYSPACE = /^[a-z][a-z0-9_]{0,41}$/;

/** The keyspace derived from --at when none is named: `<keyspace>_replay_<at, compacted>`. */
export const replayKeyspace = (keyspace: string, at: string): string =>
  `${keyspace}_replay_${at.replace(/[-:.]/g, '').toLowerCase()}`;

/**
 * `replay`: --at required, at most one of --inbox and --thread, --limit 1..200; --dir DIR, or
 * (the broker configured for Cassandra, whose keyspace is `cassandra`) --keyspace NAME, or
 * neither: `<keyspace>_replay_<at>`. Never the broker's own keyspace, its generations or its keys.
 */
export const replayFlags = (flags: Flags, cassandra?: string): E.Either<string, ReplayFlags> => {
  const given = flags.get('at');
  // A day the month does not have is refused: Date.parse would replay 2026-02-30 as of March 2.
  if (given === undefined || !isTimestamp(given) || !dayIsInMonth(given))
    return E.left('--at: expected an ISO-8601 date-time between 1970 and 9999');
  const at = new Date(given).toISOString();
  const dir = flags.get('dir');
  const named = flags.get('keyspace');
  if (dir !== undefined && named !== undefined) return E.left('--dir and --keyspace: give one of them');
  if (dir === '') return E.left('--dir: a directory for the replayed read models is needed');
  if (named !== undefined && cassandra === undefined)
    return E.left('--keyspace: the broker is not configured for Cassandra (MSGXC_CASSANDRA_CONTACT_POINTS)');
  if (dir === undefined && cassandra === undefined)
    return E.left('--dir: a directory for the replayed read models is needed');
  const keyspace = named ?? (cassandra === undefined ? '' : replayKeyspace(cassandra, at));
  if (dir === undefined) {
    const flag = named === undefined ? `the derived keyspace ${keyspace} (name one with --keyspace)` : '--keyspace';
    if (!REPLAY_KEYSPACE.test(keyspace))
      return E.left(`${flag}: expected a lower-case letter, then at most 41 of a-z, 0-9, _`);
    if (
      cassandra !== undefined &&
      (keyspace === cassandra || keyspace === `${cassandra}_keys` || new RegExp(`^${cassandra}_g\\d+$`).test(keyspace))
    )
      return E.left(`${flag}: must not be the broker's keyspace (${cassandra}), its generations or its keys`);
  }
  const inbox = flags.get('inbox');
  const thread = flags.get('thread');
  if (inbox !== undefined && thread !== undefined) return E.left('--inbox and --thread: give one of them');
  const rawLimit = flags.get('limit') ?? '50';
  const limit = /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) return E.left('--limit: expected an integer 1..200');
  return E.right({
    at,
    target: dir !== undefined ? { kind: 'dir', dir } : { kind: 'keyspace', keyspace },
    limit,
    ...(inbox !== undefined ? { inbox } : {}),
    ...(thread !== undefined ? { thread } : {}),
  });
};
