import type { CassandraDb } from '../cassandra-db.js';
import { flag, str } from '../cassandra-db.js';
import { indexSlice, scan, toPage } from '../cassandra-scan.js';
import type { IndexRow } from '../messages/cassandra-row.js';
import { clampLimit, newestFirst, upperBound } from '../paging.js';
import { cassandraAudienceSource } from './cassandra-audience.js';
import type { MessageTarget, Page, PageRequest, PositionedMessage } from '../../ports/read-models.js';

// messagesTo on Cassandra, as in SQLite (inbox/targets.ts): a thread's index partition, or the
// user's direct rows (and large multicasts' rows) without what they deleted (one IN read of
// inbox_state per chunk).
export const cassandraTargetQueries = (db: CassandraDb) => {
  const audiences = cassandraAudienceSource(db);
  const states = `SELECT mid, deleted FROM ${db.t('inbox_state')} WHERE uid = ? AND mid IN ?`;
  const notDeleted =
    (uid: string) =>
    async (rows: IndexRow[]): Promise<IndexRow[]> => {
      const live = rows.filter((r) => !r.withdrawn);
      if (live.length === 0) return [];
      const gone = new Set(
        (await db.read(states, [uid, live.map((r) => r.mid)])).filter((s) => flag(s.deleted)).map((s) => str(s.mid)),
      );
      return live.filter((r) => !gone.has(r.mid));
    };
  return {
    messagesTo: async (target: MessageTarget, page: PageRequest, now: Date): Promise<Page<PositionedMessage>> => {
      const bound = upperBound(page.before, now);
      if (bound === undefined) return { messages: [], next: null };
      const limit = clampLimit(page.limit);
      const rows =
        target.kind === 'thread'
          ? await scan(indexSlice(db, 'messages_by_thread', 'tid', target.tid, target.tid), bound, limit + 1, (rs) =>
              rs.filter((r) => !r.withdrawn),
            )
          : [
              ...(await scan(
                indexSlice(db, 'inbox_direct', 'uid', target.uid),
                bound,
                limit + 1,
                notDeleted(target.uid),
              )),
              // As SQLite's inbox_direct holds them: the large multicasts the user is in.
              ...(await notDeleted(target.uid)(await audiences.rows(target.uid, bound))),
            ]
              .sort(newestFirst)
              .slice(0, limit + 1);
      return toPage(rows, limit, (r) => ({ ...r.view, position: r.position }));
    },
  };
};
