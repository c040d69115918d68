import * as E from 'fp-ts/lib/Either.js';
import type { RecordedEvent } from '../../ports/eventstore.js';
import type { AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import { limitParam, type Route } from '../route.js';
import { filterParam, nonNegative } from './audit-query.js';

// The raw log for admins and auditors: events with their metadata, in log order, paged,
// filtered by type, stream prefix, actor, correlation id and time (docs/audit.md).
// An event whose stored data or metadata cannot be read (a row edited on disk into text that is
// not JSON: the embedded engine parses it when first read) is shown with `unreadable` saying
// why, and null for what could not be read, rather than failing the whole page with a 500:
// the auditor is the one who needs to see it (`msgxc audit verify` names it as altered).
const readable = (read: () => unknown): { value: unknown; error?: string } => {
  try {
    return { value: read() };
  } catch (err) {
    return { value: null, error: String(err).slice(0, 200) };
  }
};
const view = (e: RecordedEvent) => {
  const data = readable(() => e.data);
  const metadata = readable(() => e.metadata);
  const error = data.error ?? metadata.error;
  return {
    stream: e.stream,
    revision: e.revision,
    position: e.position,
    type: e.type,
    data: data.value,
    metadata: metadata.value,
    ...(error !== undefined ? { unreadable: error } : {}),
  };
};

const STREAM = /^[A-Za-z0-9._:@+=-]{1,200}$/;

export const auditRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'get',
    path: '/api/v2/streams/{stream}',
    access: 'auditor',
    summary: 'Events of one stream from revision `from` (admin, auditor)',
    handler: async (req) => {
      const from = nonNegative(req.query, 'from');
      const limit = limitParam(req.query, 100, 1000);
      if (E.isLeft(from)) return from.left;
      if (E.isLeft(limit)) return limit.left;
      const stream = req.params['stream'] ?? '';
      if (!STREAM.test(stream)) return errors.invalidQuery('stream', 'not a stream name');
      // As stored, like /events: auditors see sealed fields sealed.
      const events = await deps.audit.read(stream, { fromRevision: from.right, limit: limit.right + 1 });
      const page = events.slice(0, limit.right);
      const last = page[page.length - 1];
      return {
        status: 200,
        body: { events: page.map(view), next: events.length > limit.right && last ? last.revision + 1 : null },
      };
    },
  },
  {
    method: 'get',
    path: '/api/v2/streams',
    access: 'auditor',
    summary:
      'Streams in the order they were created, after position `after`, optionally by name prefix (admin, auditor)',
    handler: async (req) => {
      const after = nonNegative(req.query, 'after');
      const limit = limitParam(req.query, 100, 1000);
      if (E.isLeft(after)) return after.left;
      if (E.isLeft(limit)) return limit.left;
      const prefix = req.query.get('prefix') ?? '';
      if (prefix !== '' && !STREAM.test(prefix)) return errors.invalidQuery('prefix', 'not the start of a stream name');
      const page = await deps.audit.streams({
        after: after.right,
        limit: limit.right,
        ...(prefix !== '' ? { prefix } : {}),
      });
      return { status: 200, body: page };
    },
  },
  {
    method: 'get',
    path: '/api/v2/events',
    access: 'auditor',
    summary:
      'Events after position `after`, in log order, filtered by type, stream prefix, actor, correlation id and time (admin, auditor)',
    handler: async (req) => {
      const after = nonNegative(req.query, 'after');
      const limit = limitParam(req.query, 100, 1000);
      const filter = filterParam(req.query);
      if (E.isLeft(after)) return after.left;
      if (E.isLeft(limit)) return limit.left;
      if (E.isLeft(filter)) return filter.left;
      const page = await deps.audit.scan({ filter: filter.right, after: after.right, limit: limit.right });
      return { status: 200, body: { events: page.events.map(view), next: page.next } };
    },
  },
];
