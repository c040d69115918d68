import * as E from 'fp-ts/lib/Either.js';
import type { ReactorStatus } from '../delivery/runner.js';
import type { CommandContext, CommandResult, Commands } from '../commands/types.js';
import type { AuditLog, EventStore } from '../ports/eventstore.js';
import type { ReadModels } from '../ports/read-models.js';
import type { SearchQueries } from '../ports/search.js';
import type { ProjectionRunner } from '../ports/projections.js';
import type { Metrics } from './metrics.js';
import type { AdminOps } from './routes/admin.js';
import type { DeliveryReports as Reports } from '../ports/delivery-state.js';
import type { OutboxStore } from '../ports/outbox.js';
import { fromDomainError, type ApiError } from './errors.js';
import type { RouteReply, RouteRequest } from './route.js';

// What route handlers may use. Passed in, never imported as globals, so tests compose freely.
export interface AppDeps {
  readonly commands: Commands;
  readonly reads: ReadModels;
  readonly projections: ProjectionRunner;
  readonly store: EventStore;
  /** Filtered reads of the log for auditors (api/routes/audit.ts). */
  readonly audit: AuditLog;
  /** The search/analytics store's queries (api/routes/analytics.ts); absent in tests that do not need it. */
  readonly search?: SearchQueries;
  /** The search projection's follower: audience reads wait for it (consistentSearch). */
  readonly searchRunner?: Pick<ProjectionRunner, 'waitFor' | 'status'>;
  readonly metrics: Metrics;
  readonly ready: () => boolean;
  /** Admin UI operations (stats, rebuild); absent in tests that do not need them. */
  readonly admin?: AdminOps;
  /** The delivery reactors' positions and stalls (GET /readyz); absent when they do not run on this node. */
  readonly reactors?: () => readonly ReactorStatus[];
  /** The delivery reactors' reports; absent when they do not run on this node. */
  readonly reports?: Reports;
  readonly reportsCaughtUp?: () => Promise<void>;
  /** What the outbox channels recorded (GET /api/v2/outbox); absent in tests that do not need it. */
  readonly outbox?: Pick<OutboxStore, 'page'>;
  /** The admin UI's folder (web/admin); without it GET /admin answers 404. */
  readonly adminUiDir?: string;
  /** The browser push page's folder (web/push); without it GET /push/ answers 404. */
  readonly pushUiDir?: string;
  /** MSGXC_VAPID_PUBLIC_KEY, served to browsers that subscribe to push. */
  readonly vapidPublicKey?: string;
  /** MSGXC_RECEIPT_SECRET: verifies the receipt tokens push payloads carry (schema/receipt-token.ts). */
  readonly receiptKey?: string;
}

export const contextOf = (req: RouteRequest): CommandContext => ({
  actor: req.actor,
  now: req.now,
  correlationId: req.requestId,
  ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
});

/** Maps a command result to the seed's answer: body `true`, plus where the write landed. */
export const answer = <T extends object>(
  result: Awaited<CommandResult<T>>,
  onOk: (value: T & { position: number }) => RouteReply = (v) => ({
    status: 200,
    body: true,
    headers: { 'X-Position': String(v.position) },
  }),
): RouteReply | ApiError => (E.isLeft(result) ? fromDomainError(result.left) : onOk(result.right));

export const created =
  (mid: string) =>
  (v: { position: number }): RouteReply => ({
    status: 200,
    body: true,
    headers: { 'X-Message-Id': mid, 'X-Position': String(v.position) },
  });

const READ_WAIT_MS = 2000;

// Reads are consistent with every write acknowledged before them: wait (briefly) until the
// projections have applied the log up to `min_position`, or to the head when none is given.
// `?consistency=eventual` skips the wait. A read that could not catch up in time is served
// anyway and marked with `X-Stale: true` rather than failing.
const waitForHead = async (
  deps: AppDeps,
  req: RouteRequest,
  runner: Pick<ProjectionRunner, 'waitFor'>,
): Promise<Record<string, string>> => {
  if (req.query.get('consistency') === 'eventual') return {};
  const explicit = Number(req.query.get('min_position') ?? '');
  const target = Number.isInteger(explicit) && explicit > 0 ? explicit : await deps.store.head();
  try {
    await runner.waitFor(target, READ_WAIT_MS);
    return {};
  } catch {
    return { 'X-Stale': 'true' };
  }
};
export const consistentRead = (deps: AppDeps, req: RouteRequest): Promise<Record<string, string>> =>
  waitForHead(deps, req, deps.projections);

// The same for what reads the search store's user directory (segment counts, audiences): an
// import or enlist acknowledged before counts, once the search engine has made it visible.
export const consistentSearch = (deps: AppDeps, req: RouteRequest): Promise<Record<string, string>> =>
  deps.searchRunner === undefined ? Promise.resolve({}) : waitForHead(deps, req, deps.searchRunner);
