import type { Database } from 'better-sqlite3';
import { DELIVERY_COLUMNS, MESSAGE_COLUMNS, deliveryWhere, messageWhere } from './embedded-filter.js';
import type { Where } from './embedded-filter.js';
import { deliveryFromRow, messageFromRow } from './embedded-rows.js';
import type { DeliveryRow, MessageRow } from './embedded-rows.js';
import type { SearchQueries } from '../../ports/search.js';
import { userQueries } from './embedded-users.js';
import { checkInQueries } from './embedded-checkins.js';
import { INTERVALS, cursorKey, cursorOf, offsetMs } from '../../schema/search-query.js';
import type {
  FunnelTotals,
  HistogramQuery,
  MessageFilter,
  TermsBucket,
  TermsQuery,
} from '../../schema/search-query.js';
import { FUNNEL_PATHS, funnelTotals } from './funnel-paths.js';
import { variantFunnels } from '../../schema/variant-funnel.js';

// The analytics queries answered by SQLite, shaped like Elasticsearch's answers (see the
// contract suite): newest first by (at, mid); terms by count desc then key asc, nulls left
// out; histogram buckets only where there are documents.

interface Source {
  readonly table: string;
  readonly where: Where;
  readonly column: (field: string) => string;
}

const termsSource = (q: TermsQuery): Source =>
  q.index === 'messages'
    ? {
        table: 'search_messages',
        where: messageWhere(q.filter),
        column: (f) => MESSAGE_COLUMNS[f as keyof typeof MESSAGE_COLUMNS],
      }
    : {
        table: 'search_deliveries',
        where: deliveryWhere(q.filter),
        column: (f) => DELIVERY_COLUMNS[f as keyof typeof DELIVERY_COLUMNS],
      };

export const embeddedQueries = (db: Database): SearchQueries => {
  const all = <R>(sql: string, params: readonly (string | number)[]): R[] =>
    db.prepare<unknown[], R>(sql).all(...params);
  const users = userQueries(db);
  const online = checkInQueries(db);

  const terms = (q: TermsQuery): TermsBucket[] => {
    const src = termsSource(q);
    const a = src.column(q.field);
    const top = all<{ k: string | number; n: number }>(
      `SELECT ${a} AS k, COUNT(*) AS n FROM ${src.table} WHERE ${src.where.sql} AND ${a} IS NOT NULL
       GROUP BY ${a} ORDER BY n DESC, k ASC LIMIT ?`,
      [...src.where.params, q.size],
    );
    const then = q.then;
    if (then === undefined) return top.map((r) => ({ key: String(r.k), count: r.n }));
    const b = src.column(then.field);
    const subs =
      top.length === 0
        ? []
        : all<{ k: string | number; s: string | number; n: number }>(
            `SELECT ${a} AS k, ${b} AS s, COUNT(*) AS n FROM ${src.table}
       WHERE ${src.where.sql} AND ${a} IN (${top.map(() => '?').join(', ')}) AND ${b} IS NOT NULL
       GROUP BY ${a}, ${b} ORDER BY k, n DESC, s ASC`,
            [...src.where.params, ...top.map((r) => r.k)],
          );
    return top.map((r) => ({
      key: String(r.k),
      count: r.n,
      buckets: subs
        .filter((s) => s.k === r.k)
        .slice(0, then.size)
        .map((s) => ({ key: String(s.s), count: s.n })),
    }));
  };

  // Fixed-length intervals in a fixed-offset zone, so a bucket is integer arithmetic on the
  // epoch milliseconds (strftime has no "start of hour" and no zones beyond localtime).
  const histogram = (q: HistogramQuery) => {
    const step = INTERVALS[q.interval];
    const off = offsetMs(q.timeZone);
    const [table, where] =
      q.index === 'messages'
        ? ['search_messages', messageWhere(q.filter)]
        : ['search_deliveries', deliveryWhere(q.filter)];
    return all<{ b: number; n: number }>(
      `SELECT CAST((at + ?) / ? AS INTEGER) * ? - ? AS b, COUNT(*) AS n FROM ${table} WHERE ${where.sql} GROUP BY b ORDER BY b`,
      [off, step, step, off, ...where.params],
    ).map((r) => ({ key: new Date(r.b).toISOString(), count: r.n }));
  };

  // Paths are this module's constants, never input; a row from before funnels ('{}') sums as 0.
  const funnel = (f: MessageFilter | undefined): FunnelTotals => {
    const where = messageWhere(f);
    const sums = FUNNEL_PATHS.map((p, i) => `COALESCE(SUM(json_extract(funnel, '$.${p}')), 0) AS s${i}`);
    const [row] = all<Record<string, number>>(
      `SELECT COUNT(*) AS n, ${sums.join(', ')} FROM search_messages WHERE ${where.sql}`,
      where.params,
    );
    return funnelTotals(row?.n ?? 0, (p) => row?.[`s${FUNNEL_PATHS.indexOf(p)}`] ?? 0);
  };

  const later = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };

  return {
    searchMessages: (q) =>
      later(() => {
        const where = messageWhere(q.filter);
        const after = q.after === undefined ? undefined : cursorKey(q.after);
        const page =
          after === undefined
            ? { sql: '1', params: [] }
            : { sql: '(at < ? OR (at = ? AND mid < ?))', params: [after[0], after[0], after[1]] };
        const rows = all<MessageRow>(
          `SELECT * FROM search_messages WHERE ${where.sql} AND ${page.sql} ORDER BY at DESC, mid DESC LIMIT ?`,
          [...where.params, ...page.params, q.limit + 1],
        );
        const hits = rows.slice(0, q.limit).map(messageFromRow);
        const last = hits[hits.length - 1];
        const [count] = all<{ n: number }>(
          `SELECT COUNT(*) AS n FROM search_messages WHERE ${where.sql}`,
          where.params,
        );
        const next = rows.length > q.limit && last !== undefined ? cursorOf(last) : null;
        return { hits, total: count?.n ?? 0, next };
      }),
    terms: (q) => later(() => terms(q)),
    histogram: (q) => later(() => histogram(q)),
    funnel: (f) => later(() => funnel(f)),
    // The `v:` sets sort together: a range scan of the (mid, status, uid) key.
    variantFunnel: (mid) =>
      later(() =>
        variantFunnels(
          all<{ status: string; n: number }>(
            `SELECT status, SUM(n) AS n FROM search_receipt_sets WHERE mid = ? AND status >= 'v:' AND status < 'v;' GROUP BY status`,
            [mid],
          ).map((r) => [r.status, r.n] as const),
        ),
      ),
    documents: (index, page) =>
      later(() => {
        const [table, key] = index === 'messages' ? ['search_messages', 'mid'] : ['search_deliveries', 'id'];
        const rows = all<MessageRow & DeliveryRow>(`SELECT * FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ?`, [
          page.after ?? '',
          page.limit,
        ]);
        // The overload's link between `index` and the row type is lost in the ternary.
        return (index === 'messages' ? rows.map(messageFromRow) : rows.map(deliveryFromRow)) as never;
      }),
    onlineTime: (q) => later(() => online(q)),
    countUsers: (q) => later(() => users.countUsers(q)),
    selectUsers: (q, page) => later(() => users.selectUsers(q, page)),
  };
};
