import * as TE from 'fp-ts/lib/TaskEither.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Caller } from '../domain/caller.js';
import { notFound, unprocessable } from '../domain/errors.js';
import { checkContent, MAX_MULTICAST } from '../domain/message-content.js';
import type { SearchQueries } from '../ports/search.js';
import { streams } from '../schema/events.js';
import type { AudienceSource } from '../schema/events.js';
import type { MessageId, UserId } from '../schema/ids.js';
import type { SegmentQuery } from '../schema/segment-query.js';
import { messages, segments } from './aggregates.js';
import { callerOf, read } from './deps.js';
import type { CommandDeps, Failure } from './deps.js';
import { publishMessage } from './publish-message.js';
import type { AudienceTarget, Commands, CommandContext, MessageContent } from './types.js';

// Multicast/broadcast to a segment or a query (issue 13, docs/audiences.md). The audience is
// resolved once, here, by paging the search store's user directory in uid order, and recorded
// with the message in one append (AudienceResolved + MessagePublished), so a 2xx means the
// resolution is durable and a retry of the same mid never resolves again: it finds the stored
// publication and answers with it. Delivery expands the published list in its own batches.

/** Uids asked of the directory per page: bounded memory per call, few round trips. */
export const AUDIENCE_PAGE = 1_000;

export type UserSelection = Pick<SearchQueries, 'selectUsers'>;

const sourceOf = (deps: CommandDeps, target: AudienceTarget): TaskEither<Failure, AudienceSource> =>
  'query' in target
    ? TE.right({ query: target.query })
    : pipe(
        read(deps, streams.segment(target.segment), segments),
        TE.flatMap(({ state }) =>
          state.stage === 'Defined'
            ? TE.right({ query: state.query, segment: target.segment, name: state.name })
            : TE.left(notFound('SegmentNotFound', `segment: no segment ${target.segment}`)),
        ),
      );

/** What the request called the audience, so a refusal names the field. */
const fieldOf = (target: AudienceTarget): string => ('query' in target ? 'query' : 'segment');

/** Every selected uid, at most MAX_MULTICAST (one more is fetched to tell "too many"). */
const resolve = async (directory: UserSelection, query: SegmentQuery): Promise<UserId[]> => {
  const uids: UserId[] = [];
  let after: string | undefined;
  for (;;) {
    const limit = Math.min(AUDIENCE_PAGE, MAX_MULTICAST + 1 - uids.length);
    const page = await directory.selectUsers(query, after === undefined ? { limit } : { after, limit });
    for (const uid of page) uids.push(uid as UserId);
    after = page[page.length - 1];
    if (page.length < limit || uids.length > MAX_MULTICAST) return uids;
  }
};

const resolved = (
  directory: UserSelection,
  target: AudienceTarget,
  query: SegmentQuery,
): TaskEither<Failure, UserId[]> =>
  pipe(
    TE.tryCatch(
      () => resolve(directory, query),
      (e): Failure => ({
        kind: 'unavailable',
        code: 'FailedToAppend',
        msg: `${fieldOf(target)}: the search store did not answer (${e instanceof Error ? e.message : String(e)}); nothing was written, retry`,
      }),
    ),
    TE.flatMap((uids) =>
      uids.length === 0
        ? TE.left(unprocessable('AudienceIsEmpty', `${fieldOf(target)}: selects no users`))
        : uids.length > MAX_MULTICAST
          ? TE.left(
              unprocessable(
                'AudienceIsTooLarge',
                `${fieldOf(target)}: selects more than ${MAX_MULTICAST} users (larger audiences are not built yet)`,
              ),
            )
          : TE.right(uids),
    ),
  );

const firstPublication = (
  deps: CommandDeps,
  ctx: CommandContext,
  caller: Caller,
  mid: MessageId,
  target: AudienceTarget,
  content: MessageContent,
  directory: UserSelection,
) =>
  pipe(
    TE.fromEither(checkContent(content, ctx.now)),
    TE.flatMap(() => sourceOf(deps, target)),
    TE.flatMap((source) =>
      pipe(
        resolved(directory, target, source.query),
        TE.flatMap((uids) =>
          publishMessage(deps, ctx, caller, mid, { kind: 'users', uids }, content, undefined, source),
        ),
      ),
    ),
  );

export const multicastAudience =
  (deps: CommandDeps): Commands['multicastAudience'] =>
  (ctx, mid, target, content, directory) =>
    pipe(
      TE.fromEither(callerOf(ctx)),
      TE.flatMap((caller) =>
        pipe(
          read(deps, streams.message(mid), messages),
          TE.flatMap(({ state }) =>
            state.stage === 'Absent'
              ? firstPublication(deps, ctx, caller, mid, target, content, directory)
              : // A retry: the stored audience is the one resolved; the decider compares the rest.
                pipe(
                  sourceOf(deps, target),
                  TE.flatMap((source) =>
                    publishMessage(deps, ctx, caller, mid, state.message.audience, content, undefined, source),
                  ),
                ),
          ),
        ),
      ),
    )();
