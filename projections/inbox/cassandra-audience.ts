import type { CassandraDb } from '../cassandra-db.js';
import { str } from '../cassandra-db.js';
import type { IndexRow } from '../messages/cassandra-row.js';
import { INDEX_COLUMNS, toIndexRow } from '../messages/cassandra-row.js';
import { newestFirst } from '../paging.js';
import type { Bound } from '../paging.js';

// The chunked-audience source of a Cassandra inbox (schema/cassandra/003_audiences.cql): the
// user's inbox_audience partition names the large multicasts they are in; each message's row
// is read from `messages` (skipped until its MessagePublished is projected), newest first below
// the bound. A read costs one row per such multicast of the user, not per member of any.
export const cassandraAudienceSource = (db: CassandraDb) => {
  const mids = `SELECT mid FROM ${db.t('inbox_audience')} WHERE uid = ?`;
  const member = `SELECT mid FROM ${db.t('inbox_audience')} WHERE uid = ? AND mid = ?`;
  const message = `SELECT kind, ${INDEX_COLUMNS} FROM ${db.t('messages')} WHERE mid = ?`;
  const below = (r: IndexRow, b: Bound): boolean => r.eff < b.eff || (r.eff === b.eff && r.mid < b.mid);
  return {
    rows: async (uid: string, bound: Bound): Promise<IndexRow[]> => {
      const listed = (await db.read(mids, [uid])).map((r) => str(r.mid));
      const found = await Promise.all(listed.map(async (mid) => (await db.read(message, [mid]))[0]));
      return found
        .flatMap((r) => (r === undefined || r.kind !== 'chunked' ? [] : [toIndexRow(r)]))
        .filter((r) => below(r, bound))
        .sort(newestFirst);
    },
    isMember: async (uid: string, mid: string): Promise<boolean> => (await db.read(member, [uid, mid])).length > 0,
  };
};
