import type { ReceiptStatus } from '../../schema/events.js';
import type { Audience } from '../../schema/message.js';
import { firstWins, lastWins, long, orUnset } from '../cassandra-db.js';
import type { BatchMemo, CassandraProjection, Mutation } from '../cassandra-projection.js';
import { effOf, messageKeys } from '../messages/cassandra-row.js';
import type { Applied } from '../projection.js';
import { cassandraErasure } from './cassandra-erasure.js';
import { cassandraLeaveMulticasts } from './cassandra-leave.js';

// What an inbox is made of, without fan-out beyond the addressed users (the SQLite design):
// inbox_direct (one row per addressed user, content copied, withdrawal flags copied on
// cancel/retract), subscription_changes (subscribe/unsubscribe by position; periods are
// derived on read), inbox_state (seen/read/deleted flags, only ever set to true) and
// last_read (markers that only move forward). Broadcasts and thread messages are read from
// the messages model's index tables when the inbox is read.
const CONTENT = 'eff, mid, position, sender, msg, opts, urgency, at, scheduled';

const flags = (s: ReceiptStatus): 'seen' | 'read' | undefined =>
  s === 'read' || s === 'clicked' ? 'read' : s === 'seen' ? 'seen' : undefined;

const recipients = (a: Audience): readonly string[] =>
  a.kind === 'user' ? [a.uid] : a.kind === 'users' ? [...new Set(a.uids)] : [];

export const inboxCassandra: CassandraProjection = {
  name: 'inbox',
  tables: ['inbox_direct', 'inbox_audience', 'subscription_changes', 'inbox_state', 'last_read'],
  prepare: (db) => {
    const direct = `INSERT INTO ${db.t('inbox_direct')} (uid, ${CONTENT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?`;
    const change = `INSERT INTO ${db.t('subscription_changes')} (uid, tid, position, subscribed) VALUES (?, ?, ?, ?) USING TIMESTAMP ?`;
    const state = (cols: string): string =>
      `UPDATE ${db.t('inbox_state')} USING TIMESTAMP ? SET ${cols} WHERE uid = ? AND mid = ?`;
    const seen = state('seen = true');
    const read = state('seen = true, read = true');
    const deleted = state('deleted = true');
    const listed = `INSERT INTO ${db.t('inbox_audience')} (uid, mid) VALUES (?, ?) USING TIMESTAMP ?`;
    const mark = `INSERT INTO ${db.t('last_read')} (uid, scope, mid) VALUES (?, ?, ?) USING TIMESTAMP ?`;
    const forget = `DELETE FROM ${db.t('last_read')} USING TIMESTAMP ? WHERE uid = ? AND scope = ? AND mid < ?`;
    const withdraw = (col: 'cancelled' | 'retracted') =>
      `UPDATE ${db.t('inbox_direct')} USING TIMESTAMP ? SET ${col} = true WHERE uid = ? AND eff = ? AND mid = ?`;
    const withdrawals = { cancelled: withdraw('cancelled'), retracted: withdraw('retracted') };

    const flagDirect = async (
      col: 'cancelled' | 'retracted',
      mid: string,
      at: Applied,
      memo: BatchMemo,
    ): Promise<Mutation[]> => {
      const keys = await messageKeys(db, memo, mid);
      if (keys === undefined) return [];
      return recipients(keys.audience).map((uid) => ({
        cql: withdrawals[col],
        params: [lastWins(at.position), uid, long(keys.eff), mid],
        partition: `inbox_direct:${uid}`,
      }));
    };
    const subscription = (uid: string, tid: string, subscribed: boolean, at: Applied): Mutation[] => [
      {
        cql: change,
        params: [uid, tid, long(at.position), subscribed, lastWins(at.position)],
        partition: `subscription_changes:${uid}`,
      },
    ];

    const erase = cassandraErasure(db, 'inbox_direct');
    const leave = cassandraLeaveMulticasts(db);
    return {
      UserErased: async (e, at, memo) => [...(await erase(e.uid, at, memo)), ...(await leave(e.uid, at, memo))],
      MessagePublished: (e, at, memo) => {
        memo.messages.set(e.mid, { audience: e.audience, eff: effOf(e) });
        const content = [
          long(effOf(e)),
          e.mid,
          long(at.position),
          e.from,
          e.msg,
          JSON.stringify(e.opts),
          e.urgency,
          e.at,
          orUnset(e.scheduled),
        ];
        return recipients(e.audience).map((uid) => ({
          cql: direct,
          params: [uid, ...content, firstWins(at.position)],
          partition: `inbox_direct:${uid}`,
        }));
      },
      // A part of a chunked audience: one small row per member (the message is joined on read).
      AudienceChunk: (e, at, memo) => {
        memo.parts.push({ mid: e.mid, uids: e.uids });
        return e.uids.map((uid) => ({
          cql: listed,
          params: [uid, e.mid, firstWins(at.position)],
          partition: `inbox_audience:${uid}`,
        }));
      },
      MessageCancelled: (e, at, memo) => flagDirect('cancelled', e.mid, at, memo),
      MessageRetracted: (e, at, memo) => flagDirect('retracted', e.mid, at, memo),
      ThreadMemberAdded: (e, at) => (e.role === 'subscriber' ? subscription(e.uid, e.tid, true, at) : []),
      ThreadMemberRemoved: (e, at) => (e.role === 'subscriber' ? subscription(e.uid, e.tid, false, at) : []),
      MessagesAcknowledged: (e, at) => {
        const f = flags(e.status);
        if (f === undefined) return []; // 'delivered' says nothing about the inbox
        return e.mids.map((mid) => ({
          cql: f === 'read' ? read : seen,
          params: [lastWins(at.position), e.uid, mid],
          partition: `inbox_state:${e.uid}`,
        }));
      },
      MessageDeletedFromInbox: (e, at) =>
        e.mids.map((mid) => ({
          cql: deleted,
          params: [lastWins(at.position), e.uid, mid],
          partition: `inbox_state:${e.uid}`,
        })),
      // The marker's row, and a range tombstone over the scope's smaller mids at the same
      // timestamp: an older marker replayed later is shadowed, a marker moved back stays below.
      LastReadMarked: (e, at) => {
        const scope = e.tid ?? '';
        const ts = lastWins(at.position);
        return [
          { cql: mark, params: [e.uid, scope, e.mid, ts], partition: `last_read:${e.uid}` },
          { cql: forget, params: [ts, e.uid, scope, e.mid], partition: `last_read:${e.uid}` },
        ];
      },
    };
  },
};
