import type { Applied } from '../projection.js';
import type { CassandraDb } from '../cassandra-db.js';
import { firstWins, lastWins, long, orUnset } from '../cassandra-db.js';
import type { BatchMemo, CassandraProjection, Mutation } from '../cassandra-projection.js';
import { indexSlice, scan, toPage } from '../cassandra-scan.js';
import { clampLimit, upperBound } from '../paging.js';
import type { MessageDetails, MessageView, Page, PageRequest } from '../../ports/read-models.js';
import { bucketOf, effOf, messageKeys, toDetails } from './cassandra-row.js';
import { cassandraErasure } from '../inbox/cassandra-erasure.js';

// Every message once (`messages`, by mid), plus the two index tables that list messages
// with their content: messages_by_thread (one row per thread message) and broadcasts (one
// row per broadcast, month buckets listed in broadcast_buckets). Content is written with
// firstWins timestamps (the first MessagePublished of a mid stands, like SQLite's
// ON CONFLICT DO NOTHING); withdrawal flags are separate cells that only become true, so
// "retracted wins over cancelled" holds whatever order they arrive in.
const CONTENT = 'eff, mid, position, sender, msg, opts, urgency, at, scheduled';

type Withdrawal = 'cancelled' | 'retracted';

export const messagesCassandra: CassandraProjection = {
  name: 'messages',
  tables: ['messages', 'messages_by_thread', 'broadcasts', 'broadcast_buckets'],
  prepare: (db) => {
    const insertMessage = `INSERT INTO ${db.t('messages')} (tid, kind, audience, subject, ${CONTENT})
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    const insertThread = `INSERT INTO ${db.t('messages_by_thread')} (tid, ${CONTENT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    const insertBroadcast = `INSERT INTO ${db.t('broadcasts')} (bucket, ${CONTENT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    const insertBucket = `INSERT INTO ${db.t('broadcast_buckets')} (scope, bucket) VALUES ('everyone', ?) USING TIMESTAMP ?`;
    const flagCql = (w: Withdrawal) => ({
      message: `UPDATE ${db.t('messages')} USING TIMESTAMP ? SET ${w} = true WHERE mid = ?`,
      thread: `UPDATE ${db.t('messages_by_thread')} USING TIMESTAMP ? SET ${w} = true WHERE tid = ? AND eff = ? AND mid = ?`,
      broadcast: `UPDATE ${db.t('broadcasts')} USING TIMESTAMP ? SET ${w} = true WHERE bucket = ? AND eff = ? AND mid = ?`,
    });
    const flags = { cancelled: flagCql('cancelled'), retracted: flagCql('retracted') };

    const withdraw = async (w: Withdrawal, mid: string, at: Applied, memo: BatchMemo): Promise<Mutation[]> => {
      const keys = await messageKeys(db, memo, mid);
      if (keys === undefined) return [];
      const ts = lastWins(at.position);
      const eff = long(keys.eff);
      const out: Mutation[] = [{ cql: flags[w].message, params: [ts, mid], partition: `messages:${mid}` }];
      const a = keys.audience;
      if (a.kind === 'thread')
        out.push({ cql: flags[w].thread, params: [ts, a.tid, eff, mid], partition: `messages_by_thread:${a.tid}` });
      if (a.kind === 'everyone') {
        const bucket = bucketOf(keys.eff);
        out.push({ cql: flags[w].broadcast, params: [ts, bucket, eff, mid], partition: `broadcasts:${bucket}` });
      }
      return out;
    };

    const erase = cassandraErasure(db, 'messages');
    return {
      UserErased: (e, at, memo) => erase(e.uid, at, memo),
      MessagePublished: (e, at, memo) => {
        const eff = effOf(e);
        memo.messages.set(e.mid, { audience: e.audience, eff });
        const ts = firstWins(at.position);
        const content = [
          long(eff),
          e.mid,
          long(at.position),
          e.from,
          e.msg,
          JSON.stringify(e.opts),
          e.urgency,
          e.at,
          orUnset(e.scheduled),
        ];
        const a = e.audience;
        const out: Mutation[] = [
          {
            cql: insertMessage,
            params: [
              orUnset(a.kind === 'thread' ? a.tid : undefined),
              a.kind,
              JSON.stringify(a),
              orUnset(e.subject),
              ...content,
              ts,
            ],
            partition: `messages:${e.mid}`,
          },
        ];
        if (a.kind === 'thread')
          out.push({ cql: insertThread, params: [a.tid, ...content, ts], partition: `messages_by_thread:${a.tid}` });
        if (a.kind === 'everyone') {
          const bucket = bucketOf(eff);
          out.push({ cql: insertBroadcast, params: [bucket, ...content, ts], partition: `broadcasts:${bucket}` });
          out.push({
            cql: insertBucket,
            params: [bucket, lastWins(at.position)],
            partition: 'broadcast_buckets:everyone',
          });
        }
        return out;
      },
      MessageCancelled: (e, at, memo) => withdraw('cancelled', e.mid, at, memo),
      MessageRetracted: (e, at, memo) => withdraw('retracted', e.mid, at, memo),
    };
  },
};

export interface CassandraMessageQueries {
  message(mid: string, now: Date): Promise<MessageDetails | undefined>;
  threadMessages(tid: string, page: PageRequest, now: Date): Promise<Page<MessageView>>;
}

export const cassandraMessageQueries = (db: CassandraDb): CassandraMessageQueries => {
  const byId = `SELECT * FROM ${db.t('messages')} WHERE mid = ?`;
  return {
    message: async (mid, now) => {
      const [r] = await db.read(byId, [mid]);
      return r === undefined || r.audience === null ? undefined : toDetails(r, now);
    },
    threadMessages: async (tid, page, now) => {
      const bound = upperBound(page.before, now);
      if (bound === undefined) return { messages: [], next: null };
      const limit = clampLimit(page.limit);
      const rows = await scan(indexSlice(db, 'messages_by_thread', 'tid', tid, tid), bound, limit + 1, (rs) =>
        rs.filter((r) => !r.withdrawn),
      );
      return toPage(rows, limit, (r) => r.view);
    },
  };
};
