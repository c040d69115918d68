import { ERASED_TEXT } from '../../schema/personal.js';
import type { CassandraDb } from '../cassandra-db.js';
import { firstWins, long, num, str } from '../cassandra-db.js';
import type { BatchMemo, Mutation } from '../cassandra-projection.js';
import { messageKeys } from '../messages/cassandra-row.js';
import type { Applied } from '../projection.js';

// An erased user's direct messages (addressed to them alone) keep their rows, not their content
// (docs/gdpr.md). They are found through the user's inbox_direct partition; the inbox projection
// blanks its rows there, the messages projection the message rows. Blanks are written at the
// highest timestamp, above the content's firstWins ones, so a replayed MessagePublished cannot
// bring the text back. Messages published after the erasure (later positions) are left alone.
const ABOVE_CONTENT = firstWins(0);

export const cassandraErasure = (db: CassandraDb, table: 'inbox_direct' | 'messages') => {
  const rows = `SELECT eff, mid, position FROM ${db.t('inbox_direct')} WHERE uid = ?`;
  const blank =
    table === 'inbox_direct'
      ? `UPDATE ${db.t('inbox_direct')} USING TIMESTAMP ? SET msg = ?, opts = '{}' WHERE uid = ? AND eff = ? AND mid = ?`
      : `UPDATE ${db.t('messages')} USING TIMESTAMP ? SET msg = ?, opts = '{}', subject = null WHERE mid = ?`;
  return async (uid: string, at: Applied, memo: BatchMemo): Promise<Mutation[]> => {
    const out: Mutation[] = [];
    for (const r of await db.read(rows, [uid])) {
      if (num(r.position) >= at.position) continue;
      const mid = str(r.mid);
      const keys = await messageKeys(db, memo, mid);
      if (keys?.audience.kind !== 'user') continue;
      out.push(
        table === 'inbox_direct'
          ? {
              cql: blank,
              params: [ABOVE_CONTENT, ERASED_TEXT, uid, long(num(r.eff)), mid],
              partition: `inbox_direct:${uid}`,
            }
          : { cql: blank, params: [ABOVE_CONTENT, ERASED_TEXT, mid], partition: `messages:${mid}` },
      );
    }
    return out;
  };
};
