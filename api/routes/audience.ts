import * as E from 'fp-ts/lib/Either.js';
import type { AudienceTarget } from '../../commands/types.js';
import { asMessageId } from '../../schema/ids.js';
import { AudienceBody } from '../../schema/http.js';
import { decodeSegmentQuery } from '../../schema/segment-query.js';
import { answer, consistentSearch, contextOf, created, type AppDeps } from '../deps.js';
import { errors } from '../errors.js';
import { decode, type Route } from '../route.js';
import { contentOf } from './content.js';

// POST /api/v2/multicast and /api/v2/broadcast with `{"segment": id}` or `{"query": {...}}`
// (issue 13, docs/audiences.md): the same routes, roles and Idempotency-Key handling as the
// plain forms; the command resolves the audience in the search store's user directory.

const targetOf = (b: {
  segment?: string;
  query?: unknown;
  uids?: unknown;
}): E.Either<ReturnType<typeof errors.invalidBody>, AudienceTarget> => {
  if (b.uids !== undefined) return E.left(errors.invalidBody(['uids: not allowed beside segment or query']));
  if (b.segment !== undefined && b.query !== undefined)
    return E.left(errors.invalidBody(['segment: give either segment or query, not both']));
  if (b.segment !== undefined) return E.right({ segment: asMessageId(b.segment) });
  const q = decodeSegmentQuery(b.query);
  return E.isLeft(q) ? E.left(errors.invalidBody([`${q.left.path}: ${q.left.msg}`])) : E.right({ query: q.right });
};

export const byAudience =
  (deps: AppDeps): Route['handler'] =>
  async (req) => {
    const b = decode(AudienceBody, req);
    if (E.isLeft(b)) return b.left;
    const target = targetOf(b.right);
    if (E.isLeft(target)) return target.left;
    if (deps.search === undefined) return errors.notReady('the search store is not open on this node');
    // The audience as of this request: the directory first catches up with every write
    // acknowledged before it (an import or enlist just made), as reads do (bounded wait).
    await consistentSearch(deps, req);
    const mid = asMessageId(req.newMessageId);
    const ran = await deps.commands.multicastAudience(
      contextOf(req),
      mid,
      target.right,
      contentOf(b.right),
      deps.search,
    );
    return answer(ran, created(mid));
  };
