import * as E from 'fp-ts/lib/Either.js';
import { forbidden, invalid } from '../domain/errors.js';
import { describeErrors } from '../schema/errors.js';
import { streams } from '../schema/events.js';
import { UsersImported } from '../schema/import-events.js';
import { callerOf } from './deps.js';
import type { CommandDeps } from './deps.js';
import { appendStamped, freshIds } from './gateway.js';
import { causeOf, failedToAppend } from './handler.js';
import type { Commands } from './types.js';

// One part of a user import, recorded after its good lines are durable (the route calls it
// last), so the log says what the part did and every node's read model can sum the import's
// parts. A plain append to the import's own stream, with no state to decide on: a retried
// part is recorded again (an auditor sees the retry) and the read model counts it once, by
// (import id, first line).
export const recordImportPart =
  (deps: CommandDeps): Commands['recordImportPart'] =>
  async (ctx, part) => {
    const caller = callerOf(ctx);
    if (E.isLeft(caller)) return caller;
    if (!caller.right.admin) return E.left(forbidden('ImportsNeedAdmin', 'only admins may import users'));
    const decoded = UsersImported.decode({ type: 'UsersImported', data: { ...part, by: caller.right.uid } });
    if (E.isLeft(decoded))
      return E.left(invalid('EventIsOutOfBounds', `UsersImported: ${describeErrors(decoded.left).join('; ')}`));
    try {
      const r = await appendStamped(
        deps.store,
        streams.userImport(part.id),
        [decoded.right],
        'any',
        causeOf(ctx),
        freshIds(deps.env.newId),
      );
      return r.kind === 'appended'
        ? E.right({ position: r.position })
        : E.left(failedToAppend(`the log refused the record of import ${part.id}`));
    } catch {
      return E.left(failedToAppend(`the event log failed while recording import ${part.id}`));
    }
  };
