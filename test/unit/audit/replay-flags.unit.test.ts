import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseFlags, replayFlags, replayKeyspace } from '../../../app/cli/audit-flags.js';

// Where `msgxc audit replay` builds its read models: a directory, or (the broker on Cassandra)
// a keyspace of its own, named or derived from --at; never the broker's own keyspaces.
const flags = (...args: string[]) => {
  const f = parseFlags(args, ['at', 'dir', 'keyspace', 'inbox', 'thread', 'limit']);
  if (E.isLeft(f)) throw new Error(f.left);
  return f.right;
};
const AT = '2026-12-05T14:38:00.123Z';

describe('replay flags', () => {
  it('builds into --dir on either engine', () => {
    for (const cassandra of [undefined, 'msgxc'])
      expect(replayFlags(flags('--at', AT, '--dir', '/tmp/r'), cassandra)).toEqual(
        E.right({ at: AT, target: { kind: 'dir', dir: '/tmp/r' }, limit: 50 }),
      );
  });

  it('needs --dir when the broker is not on Cassandra, and refuses --keyspace there', () => {
    expect(replayFlags(flags('--at', AT))).toEqual(E.left('--dir: a directory for the replayed read models is needed'));
    expect(replayFlags(flags('--at', AT, '--keyspace', 'r1'))).toEqual(
      E.left('--keyspace: the broker is not configured for Cassandra (MSGXC_CASSANDRA_CONTACT_POINTS)'),
    );
  });

  it('derives <keyspace>_replay_<at> on Cassandra, or takes the one named', () => {
    expect(replayKeyspace('msgxc', AT)).toBe('msgxc_replay_20261205t143800123z');
    expect(replayFlags(flags('--at', '2026-12-05T15:38:00.123+01:00', '--inbox', 'bob'), 'msgxc')).toEqual(
      E.right({
        at: AT,
        target: { kind: 'keyspace', keyspace: 'msgxc_replay_20261205t143800123z' },
        limit: 50,
        inbox: 'bob',
      }),
    );
    expect(replayFlags(flags('--at', AT, '--keyspace', 'audit_jan'), 'msgxc')).toEqual(
      E.right({ at: AT, target: { kind: 'keyspace', keyspace: 'audit_jan' }, limit: 50 }),
    );
  });

  it("refuses the broker's keyspace, its generations and keys, bad names and both targets", () => {
    const refused = "--keyspace: must not be the broker's keyspace (msgxc), its generations or its keys";
    for (const ks of ['msgxc', 'msgxc_g1', 'msgxc_g12', 'msgxc_keys'])
      expect(replayFlags(flags('--at', AT, '--keyspace', ks), 'msgxc')).toEqual(E.left(refused));
    for (const ks of ['Upper', '1abc', 'a-b', 'x'.repeat(43), 'ks;drop'])
      expect(replayFlags(flags('--at', AT, '--keyspace', ks), 'msgxc')).toEqual(
        E.left('--keyspace: expected a lower-case letter, then at most 41 of a-z, 0-9, _'),
      );
    expect(replayFlags(flags('--at', AT), 'k'.repeat(30))).toEqual(
      E.left(
        `the derived keyspace ${'k'.repeat(30)}_replay_20261205t143800123z (name one with --keyspace): expected a lower-case letter, then at most 41 of a-z, 0-9, _`,
      ),
    );
    expect(replayFlags(flags('--at', AT, '--keyspace', 'r', '--dir', '/tmp/r'), 'msgxc')).toEqual(
      E.left('--dir and --keyspace: give one of them'),
    );
    expect(replayFlags(flags('--at', 'yesterday'), 'msgxc')).toEqual(
      E.left('--at: expected an ISO-8601 date-time between 1970 and 9999'),
    );
  });

  // --at 2026-02-30 replayed the log as of March 2 (Date.parse rolls the day over), and
  // --limit 0x10 was read as 16.
  it('refuses a day its month does not have, and a limit that is not digits', () => {
    for (const at of ['2026-02-30T00:00:00Z', '2027-02-29T12:00:00Z', '2026-04-31T00:00:00Z'])
      expect(replayFlags(flags('--at', at, '--dir', '/tmp/r')), at).toEqual(
        E.left('--at: expected an ISO-8601 date-time between 1970 and 9999'),
      );
    expect(replayFlags(flags('--at', '2028-02-29T00:00:00Z', '--dir', '/tmp/r'))).toHaveProperty('_tag', 'Right');
    for (const limit of ['0x10', '1e2', '+5', ' 7'])
      expect(replayFlags(flags('--at', AT, '--dir', '/tmp/r', '--limit', limit)), limit).toEqual(
        E.left('--limit: expected an integer 1..200'),
      );
    expect(replayFlags(flags('--at', AT, '--dir', '/tmp/r', '--limit', '16'))).toMatchObject({ right: { limit: 16 } });
  });
});
