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
import type { AudienceChunksState } from '../domain/audience-chunks.js';
import type { Audience } from '../schema/message.js';
import { LIMITS } from '../schema/bounds.js';
import { audienceChunks, messages, segments } from './aggregates.js';
import { callerOf, read, run } from './deps.js';
import type { CommandDeps, Failure } from './deps.js';
import { publishMessage } from './publish-message.js';
import type { AudienceTarget, Commands, CommandContext, MessageContent } from './types.js';

// Multicast/broadcast to a segment or a query (issue 13, docs/audiences.md). The audience is
// resolved once, here, by paging the search store's user directory in uid order. Up to 10,000
// users it is recorded with the message in one append (AudienceResolved + MessagePublished);
// beyond, its parts are appended first (AudienceChunk, each durable before the next page is
// read) and the message last, so the message is live only once every part is in, and a 2xx
// means all of it is durable. A retry of the same mid never resolves again once the message is
// in (it answers the stored publication); before that, it resumes after the last stored part.

/** Uids asked of the directory per page: bounded memory per call, few round trips. */
export const AUDIENCE_PAGE = 1_000;
/** Uids per AudienceChunk event. */
export const AUDIENCE_CHUNK = LIMITS.audienceChunk;

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

const unavailable = (target: AudienceTarget, e: unknown): Failure => ({
  kind: 'unavailable',
  code: 'FailedToAppend',
  msg: `${fieldOf(target)}: the search store or the log did not answer (${e instanceof Error ? e.message : String(e)}); retry`,
});

/**
 * The selected uids as the message's audience. Up to MAX_MULTICAST they are one `users` list in
 * the message; past it, the audience is `chunked`: parts of AUDIENCE_CHUNK uids are appended to
 * `audience-<mid>` as the directory is paged (at most MAX_MULTICAST + a page held), and a
 * resolution interrupted by a crash resumes after the last durable part (`done`).
 */
const resolve = async (
  directory: UserSelection,
  query: SegmentQuery,
  done: AudienceChunksState,
  appendPart: (part: number, uids: readonly UserId[]) => Promise<void>,
): Promise<Audience | undefined> => {
  const buffer: UserId[] = [];
  let parts = done.parts;
  let count = done.count;
  const flush = async (n: number): Promise<void> => {
    const uids = buffer.splice(0, n);
    await appendPart(parts, uids);
    parts += 1;
    count += uids.length;
  };
  let after = done.last as string | undefined;
  for (;;) {
    const page = await directory.selectUsers(
      query,
      after === undefined ? { limit: AUDIENCE_PAGE } : { after, limit: AUDIENCE_PAGE },
    );
    for (const uid of page) buffer.push(uid as UserId);
    after = page[page.length - 1];
    // Stays one list while it may still fit in MAX_MULTICAST; chunked from then on.
    if (parts > 0 || buffer.length > MAX_MULTICAST) while (buffer.length >= AUDIENCE_CHUNK) await flush(AUDIENCE_CHUNK);
    if (page.length < AUDIENCE_PAGE) break;
  }
  if (parts === 0) return buffer.length === 0 ? undefined : { kind: 'users', uids: buffer };
  if (buffer.length > 0) await flush(buffer.length);
  return { kind: 'chunked', count, chunks: parts };
};

const resolved = (
  deps: CommandDeps,
  ctx: CommandContext,
  mid: MessageId,
  directory: UserSelection,
  target: AudienceTarget,
  query: SegmentQuery,
): TaskEither<Failure, Audience> =>
  pipe(
    read(deps, streams.audience(mid), audienceChunks),
    TE.flatMap(({ state }) => {
      let refused: Failure | undefined;
      const appendPart = async (part: number, uids: readonly UserId[]): Promise<void> => {
        const r = await run(
          deps,
          streams.audience(mid),
          audienceChunks,
          { type: 'AppendAudienceChunk', mid, part, uids },
          ctx,
        )();
        if (r._tag === 'Left') {
          refused = r.left;
          throw new Error(r.left.msg);
        }
      };
      return TE.tryCatch(
        () => resolve(directory, query, state, appendPart),
        (e): Failure => refused ?? unavailable(target, e),
      );
    }),
    TE.flatMap((audience) =>
      audience === undefined
        ? TE.left(unprocessable('AudienceIsEmpty', `${fieldOf(target)}: selects no users`))
        : TE.right(audience),
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
        resolved(deps, ctx, mid, directory, target, source.query),
        TE.flatMap((audience) => publishMessage(deps, ctx, caller, mid, audience, content, undefined, source)),
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
