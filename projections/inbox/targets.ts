import type { Database } from 'better-sqlite3';
import type { MessageRow } from '../messages/row.js';
import { toView } from '../messages/row.js';
import { THREAD_PAGE_SQL } from '../messages/queries.js';
import { clampLimit, encodeCursor, upperBound } from '../paging.js';
import type { MessageTarget, Page, PageRequest, PositionedMessage } from '../../ports/read-models.js';
import { DIRECT_SQL } from './sources.js';
import type { SourceParams } from './sources.js';

// Messages by target, with their log positions (onadata's integer ids): a thread's history,
// or what was sent to one user directly (the inbox's direct source, without the messages the
// user deleted from their inbox). Pages and cursors are the inbox's.
export const targetQueries = (db: Database) => {
  const threadPage = db.prepare<[{ tid: string; eff: number; mid: string; limit: number }], MessageRow>(
    THREAD_PAGE_SQL,
  );
  const direct = db.prepare<[SourceParams], MessageRow>(DIRECT_SQL);
  return {
    messagesTo: (target: MessageTarget, page: PageRequest, now: Date): Page<PositionedMessage> => {
      const bound = upperBound(page.before, now);
      if (bound === undefined) return { messages: [], next: null };
      const limit = clampLimit(page.limit);
      const rows =
        target.kind === 'thread'
          ? threadPage.all({ tid: target.tid, ...bound, limit: limit + 1 })
          : direct.all({ uid: target.uid, ...bound, limit: limit + 1, unseen: 0, gmark: '', tmark: '' });
      const last = rows[limit - 1];
      return {
        messages: rows.slice(0, limit).map((r) => ({ ...toView(r), position: r.position })),
        next: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
      };
    },
  };
};
