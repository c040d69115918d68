import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { MessageId, asMessageId } from '../../schema/ids.js';
import { SegmentName } from '../../schema/events.js';
import { decodeSegmentQuery } from '../../schema/segment-query.js';
import { answer, consistentRead, consistentSearch, contextOf, type AppDeps } from '../deps.js';
import { errors, fromDomainError } from '../errors.js';
import { decode, limitParam, ok, type Route, type RouteRequest } from '../route.js';
import type { ApiError } from '../errors.js';
import type { SegmentState } from '../../commands/types.js';

// Segments (issue 13): a named query in the filter language of schema/segment-query.ts, saved
// as an event; its count is answered by the search port's user directory (Elasticsearch or the
// embedded store), which follows the log: users appear once the search projection indexed them.

const SegmentBody = t.exact(t.type({ name: SegmentName, query: t.unknown }), 'SegmentBody');

const segmentOf = async (
  deps: AppDeps,
  req: RouteRequest,
): Promise<Extract<SegmentState, { stage: 'Defined' }> | ApiError> => {
  const id = req.params['id'] ?? '';
  if (!MessageId.is(id)) return errors.invalidQuery('id', 'not a segment id');
  const s = await deps.commands.loadSegment(id);
  if (E.isLeft(s)) return fromDomainError(s.left);
  return s.right.stage === 'Defined' ? s.right : errors.notFound(`no segment ${id}`);
};

export const segmentRoutes = (deps: AppDeps): Route[] => [
  {
    method: 'post',
    path: '/api/v2/segments',
    access: 'admin',
    body: true,
    idempotent: true,
    summary: 'Save a segment: a name and a query in the filter language (docs/audiences.md); answers its id',
    handler: async (req) => {
      const b = decode(SegmentBody, req);
      if (E.isLeft(b)) return b.left;
      const q = decodeSegmentQuery(b.right.query);
      if (E.isLeft(q)) return errors.invalidBody([`${q.left.path}: ${q.left.msg}`]);
      const id = asMessageId(req.newMessageId);
      return answer(await deps.commands.defineSegment(contextOf(req), id, b.right.name, q.right), (v) => ({
        status: 200,
        body: { id: v.id },
        headers: { 'X-Position': String(v.position) },
      }));
    },
  },
  {
    method: 'get',
    path: '/api/v2/segments',
    access: 'admin',
    summary: 'The saved segments, oldest first (`after`: the `next` of the page before, `limit`)',
    handler: async (req) => {
      const limit = limitParam(req.query);
      if (E.isLeft(limit)) return limit.left;
      const after = req.query.get('after') ?? '';
      if (after !== '' && !MessageId.is(after)) return errors.invalidQuery('after', 'not an id returned as `next`');
      const headers = await consistentRead(deps, req);
      const segments = await deps.reads.segments({ ...(after === '' ? {} : { after }), limit: limit.right });
      const last = segments.at(-1);
      return ok({ segments, next: segments.length === limit.right && last !== undefined ? last.id : null }, headers);
    },
  },
  {
    method: 'get',
    path: '/api/v2/segments/{id}',
    access: 'admin',
    summary: "A segment's name and query",
    handler: async (req) => {
      const s = await segmentOf(deps, req);
      return 'stage' in s ? ok({ id: s.id, name: s.name, query: s.query }) : s;
    },
  },
  {
    method: 'get',
    path: '/api/v2/segments/{id}/count',
    access: 'admin',
    summary: "How many users the segment selects now, in the search store's user directory",
    handler: async (req) => {
      const s = await segmentOf(deps, req);
      if (!('stage' in s)) return s;
      if (deps.search === undefined) return errors.notFound('the search store is not open on this node');
      // Counted after the directory caught up with the writes acknowledged before (imports, enlists).
      const headers = await consistentSearch(deps, req);
      return ok({ id: s.id, count: await deps.search.countUsers(s.query) }, headers);
    },
  },
];
