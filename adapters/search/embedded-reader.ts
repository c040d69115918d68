import type { Database } from 'better-sqlite3';
import { liveFile } from '../checkpoint/sqlite-generations.js';
import type { SearchQueries } from '../../ports/search.js';
import { openSearchDb } from './embedded.js';
import { embeddedQueries } from './embedded-query.js';

// Queries on the embedded search store from another thread than the one writing it (the
// search follower runs in a worker with the SQLite log). Each query reads the generation
// `search.db.live` names at that moment: after a blue/green rebuild the next query opens the
// new file. A query already running on the old one finishes on it (an open file stays
// readable on POSIX after the writer removes it).
export const embeddedSearchReader = (base: string): SearchQueries & { close(): void } => {
  let open: { file: string; db: Database; queries: SearchQueries } | undefined;
  const current = (): SearchQueries => {
    const file = liveFile(base);
    if (open?.file !== file) {
      open?.db.close();
      const db = openSearchDb(file);
      open = { file, db, queries: embeddedQueries(db) };
    }
    return open.queries;
  };
  return {
    searchMessages: (q) => current().searchMessages(q),
    terms: (q) => current().terms(q),
    histogram: (q) => current().histogram(q),
    funnel: (f) => current().funnel(f),
    variantFunnel: (mid) => current().variantFunnel(mid),
    documents: (index, page) => current().documents(index, page),
    onlineTime: (q) => current().onlineTime(q),
    countUsers: (q) => current().countUsers(q),
    selectUsers: (q, page) => current().selectUsers(q, page),
    close: () => {
      open?.db.close();
      open = undefined;
    },
  };
};
