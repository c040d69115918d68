import type { Database } from 'better-sqlite3';
import { clampLimit, encodeCursor, upperBound } from '../paging.js';
import type { MessageDetails, MessageView, Page, PageRequest } from '../../ports/read-models.js';
import { toDetails, toView } from './row.js';
import type { MessageRow } from './row.js';

export interface MessageQueries {
  message(mid: string, now: Date): MessageDetails | undefined;
  threadMessages(tid: string, page: PageRequest, now: Date): Page<MessageView>;
}

// `eff <= ? AND (eff < ? OR mid < ?)` is the row-value bound (eff, mid) < (?, ?) written so
// that SQLite turns its first term into an index range on messages_by_thread.
export const THREAD_PAGE_SQL = `
  SELECT * FROM messages
  WHERE tid = :tid AND eff <= :eff AND (eff < :eff OR mid < :mid) AND status = 'published'
  ORDER BY eff DESC, mid DESC LIMIT :limit`;

export const messageQueries = (db: Database): MessageQueries => {
  const byId = db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE mid = ?');
  const threadPage = db.prepare<[{ tid: string; eff: number; mid: string; limit: number }], MessageRow>(
    THREAD_PAGE_SQL,
  );
  return {
    message: (mid, now) => {
      const r = byId.get(mid);
      return r === undefined ? undefined : toDetails(r, now);
    },
    threadMessages: (tid, page, now) => {
      const bound = upperBound(page.before, now);
      if (bound === undefined) return { messages: [], next: null };
      const limit = clampLimit(page.limit);
      const rows = threadPage.all({ tid, ...bound, limit: limit + 1 });
      const last = rows[limit - 1];
      return {
        messages: rows.slice(0, limit).map(toView),
        next: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
      };
    },
  };
};
