import * as E from 'fp-ts/lib/Either.js';
import type { RecordedEvent } from '../../ports/eventstore.js';
import type { AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import { limitParam, type Route } from '../route.js';

// The raw log for admins and auditors: events with their metadata, in log order, paged.
const nonNegative = (q: URLSearchParams, name: string): E.Either<ReturnType<typeof errors.invalidQuery>, number> => {
  const raw = q.get(name);
  if (raw === null || raw === '') return E.right(0);
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0
    ? E.right(n)
    : E.left(errors.invalidQuery(name, 'expected a non-negative integer'));
};

const view = (e: RecordedEvent) => ({
  stream: e.stream,
  revision: e.revision,
  position: e.position,
  type: e.type,
  data: e.data,
  metadata: e.metadata,
});

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
      if (!/^[A-Za-z0-9._:@+=-]{1,200}$/.test(stream)) return errors.invalidQuery('stream', 'not a stream name');
      const events = await deps.store.read(stream, { fromRevision: from.right, limit: limit.right + 1 });
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
    path: '/api/v2/events',
    access: 'auditor',
    summary: 'All events after position `after`, in log order (admin, auditor)',
    handler: async (req) => {
      const after = nonNegative(req.query, 'after');
      const limit = limitParam(req.query, 100, 1000);
      if (E.isLeft(after)) return after.left;
      if (E.isLeft(limit)) return limit.left;
      const events = await deps.store.readAll({ after: after.right, limit: limit.right });
      const last = events[events.length - 1];
      return {
        status: 200,
        body: { events: events.map(view), next: events.length === limit.right && last ? last.position : null },
      };
    },
  },
];
