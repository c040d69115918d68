import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import type { Config } from '../../schema/config.js';
import { openLog } from '../engines.js';
import { exportLog } from './audit-export.js';
import { FILTER_FLAGS, filterFlags, parseFlags, replayFlags } from './audit-flags.js';
import { embeddedReplay, replay } from './audit-replay.js';
import { ReplayRefused, cassandraReplay } from './audit-replay-cassandra.js';
import { verifyCommand } from './audit-verify.js';

// `msgxc audit export|verify|checkpoint`, on the log the configuration names: the embedded
// file in MSGXC_DATA_DIR, or the production log of MSGXC_EVENTSTORE. Whoever can run them
// can read that log already (the data directory, or the log's credentials): no token is asked.
const USAGE = [
  'usage: msgxc audit export [--format jsonl|csv] [--out FILE] [--cursor FILE] [--type T,...] [--stream PREFIX]',
  '                          [--actor UID] [--correlation-id ID] [--from ISO-TIME] [--to ISO-TIME]',
  '       msgxc audit verify [--json]',
  '       msgxc audit checkpoint',
  '       msgxc audit replay --at ISO-TIME [--dir DIR | --keyspace NAME] [--inbox UID | --thread TID] [--limit N]',
];

const fail = (message: string): number => {
  process.stderr.write(`msgxc audit: ${message}\n${USAGE.join('\n')}\n`);
  return 2;
};

export const audit = async (config: Config, args: readonly string[]): Promise<number> => {
  const [sub, ...rest] = args;
  const known =
    sub === 'export'
      ? ['format', 'out', 'cursor', ...FILTER_FLAGS]
      : sub === 'verify'
        ? ['json']
        : sub === 'checkpoint'
          ? []
          : sub === 'replay'
            ? ['at', 'dir', 'keyspace', 'inbox', 'thread', 'limit']
            : undefined;
  if (known === undefined)
    return fail(sub === undefined ? 'a subcommand is needed' : `unknown subcommand ${JSON.stringify(sub)}`);
  const flags = parseFlags(rest, known);
  if (E.isLeft(flags)) return fail(flags.left);
  const format = flags.right.get('format') ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') return fail('--format: expected jsonl or csv');
  const filter = filterFlags(flags.right);
  if (E.isLeft(filter)) return fail(filter.left);
  const rs = config.engines.readStore;
  const replayQuery =
    sub === 'replay' ? replayFlags(flags.right, rs.kind === 'cassandra' ? rs.keyspace : undefined) : undefined;
  if (replayQuery !== undefined && E.isLeft(replayQuery)) return fail(replayQuery.left);
  const target = replayQuery !== undefined && E.isRight(replayQuery) ? replayQuery.right.target : undefined;
  if (target?.kind === 'dir' && resolve(target.dir) === resolve(config.dataDir))
    return fail('--dir must not be the data directory: a replay would replace its read models');
  if (config.eventStore === 'embedded' && !existsSync(join(config.dataDir, 'events.db')))
    return fail(`no embedded log in ${config.dataDir} (set MSGXC_DATA_DIR, or MSGXC_EVENTSTORE for a production log)`);
  const log = await openLog(config);
  try {
    // Verify reads the stored bytes (sealed fields sealed): the chain was computed over those.
    if (sub === 'verify') return await verifyCommand(log.stored, flags.right.get('json') === 'true');
    if (replayQuery !== undefined && E.isRight(replayQuery)) {
      const q = replayQuery.right;
      const into =
        q.target.kind === 'dir' || rs.kind !== 'cassandra'
          ? embeddedReplay(config.dataDir, q.target.kind === 'dir' ? q.target.dir : '')
          : cassandraReplay(rs, q.target.keyspace, q.at);
      try {
        process.stdout.write(`${JSON.stringify(await replay(log.store, q, into))}\n`);
      } catch (e) {
        if (e instanceof ReplayRefused) return fail(e.message);
        throw e;
      }
      return 0;
    }
    if (sub === 'checkpoint') {
      await log.checkpoint();
      process.stdout.write('checkpoint written\n');
      return 0;
    }
    const out = flags.right.get('out');
    const cursor = flags.right.get('cursor');
    const done = await exportLog(log.audit, log.stored, {
      format,
      filter: filter.right,
      ...(out !== undefined ? { out } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    });
    return E.isLeft(done) ? fail(done.left) : 0;
  } finally {
    await log.store.close();
  }
};
