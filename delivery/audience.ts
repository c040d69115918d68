import { chunkedPage } from '../commands/audience-parts.js';
import type { AudienceParts } from '../commands/audience-parts.js';
import { listPage } from '../domain/triage/batches.js';
import type { Page } from '../domain/triage/batches.js';
import type { DirectoryReads } from '../ports/delivery-state.js';
import type { DirectoryMessage } from '../schema/delivery-state.js';

// One page of a message's audience, in a stable order, so that an expansion interrupted by a
// crash resumes after the last batch written. Listed users keep the sender's order (the
// cursor is an offset); threads and broadcasts page by uid; a chunked audience (a segment or
// query over 10,000 users) is read from its parts in the log, one part at a time.
const paged = async (
  fetch: (after: string, limit: number) => Promise<readonly string[]>,
  after: string,
  size: number,
): Promise<Page<string>> => {
  const rows = await fetch(after, size + 1);
  if (rows.length <= size) return { items: rows };
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return last === undefined ? { items } : { items, next: last };
};

export const audiencePage = (
  dir: DirectoryReads,
  m: DirectoryMessage,
  after: string,
  size: number,
  parts: AudienceParts,
): Promise<Page<string>> => {
  const a = m.data.audience;
  switch (a.kind) {
    case 'user':
      return Promise.resolve(after === '' ? { items: [a.uid] } : { items: [] });
    case 'users':
      return Promise.resolve(listPage(a.uids, after, size));
    case 'chunked':
      return chunkedPage(parts, m.data.mid, a.chunks, after, size);
    case 'thread':
      return paged((from, limit) => dir.members(a.tid, from, limit), after, size);
    // As in the inbox: a broadcast reaches the users known before it was published.
    case 'everyone':
      return paged((from, limit) => dir.known(m.position, from, limit), after, size);
    default: {
      const unhandled: never = a;
      return unhandled;
    }
  }
};
