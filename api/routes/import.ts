import * as E from 'fp-ts/lib/Either.js';
import { isIdLike } from '../../schema/ids.js';
import { parseJson } from '../../schema/json.js';
import { IMPORT_LIMITS, decodeImportLine, lineCount, lineText, ndjsonLines } from '../../schema/user-import.js';
import type { ImportedUser } from '../../schema/user-import.js';
import type { DomainError } from '../../commands/types.js';
import { consistentRead, contextOf, type AppDeps } from '../deps.js';
import { errors, fromDomainError } from '../errors.js';
import { ok, type Route, type RouteRequest } from '../route.js';
import { addError, createRunningImports, fieldName, importAnswer, jsonErrorText } from './import-progress.js';
import type { PartProgress } from './import-progress.js';

// POST /api/v2/users/import (admins): NDJSON, one user per line, applied as profile changes
// (at most CONCURRENCY lines in flight). The body is read whole under the route's own cap
// (IMPORT_LIMITS.body, 16 MiB, instead of MSGXC_BODY_LIMIT): a larger file is sent in several
// requests under one import id (`?id=`, with `?firstLine=` so that errors keep the file's line
// numbers), which is what `msgxc import` does. The answer comes when every good line is durable
// and the part is recorded in the log (UsersImported); it is the whole import's recorded totals,
// which every node and thread answers alike (GET below): a part answered by one node and the
// next by another add up. Line errors are worded without the line's values (the record is not
// sealed, schema/import-events.ts).

const CONCURRENCY = 8;
// Lines a worker reads before it lets the event loop run (I/O, other requests).
const YIELD_EVERY = 1024;
// How long the answer waits for the read model to hold the recorded part (as reads wait, api/deps.ts).
const READ_WAIT_MS = 2000;

// Domain refusals of a line, by code, named after the line's field.
const FIELD_OF: Readonly<Record<string, string>> = {
  EmailIsMalformed: 'email',
  CellIsMalformed: 'cell',
  AttributesAreNotAJsonObject: 'attributes',
  AttributesHoldTimeZone: 'attributes.timezone',
};

const lineOf = async (
  deps: AppDeps,
  req: RouteRequest,
  p: PartProgress,
  n: number,
  text: string | undefined,
  maxDepth: number,
): Promise<void> => {
  if (text === undefined) {
    addError(p, { line: n, field: '', msg: 'not UTF-8' });
    return;
  }
  if (text.length > IMPORT_LIMITS.line) {
    addError(p, { line: n, field: '', msg: `longer than ${IMPORT_LIMITS.line} characters` });
    return;
  }
  const parsed = parseJson(text, maxDepth);
  if (!parsed.ok) {
    addError(p, {
      line: n,
      field: '',
      msg: parsed.tooDeep ? `not JSON: ${parsed.detail}` : jsonErrorText(parsed.detail),
    });
    return;
  }
  const user = decodeImportLine(parsed.value);
  if (E.isLeft(user)) {
    addError(p, { line: n, field: fieldName(user.left.field), msg: user.left.msg });
    return;
  }
  const u: ImportedUser = user.right;
  const r = await deps.commands.importUser(contextOf(req), u.uid, {
    ...(u.email === undefined ? {} : { email: u.email }),
    ...(u.cell === undefined ? {} : { cell: u.cell }),
    ...(u.timezone === undefined ? {} : { timezone: u.timezone }),
    attributes: u.attributes,
  });
  if (E.isRight(r)) {
    if (r.right.written) p.usersWritten += 1;
    else p.unchanged += 1;
    return;
  }
  if (r.left.kind === 'unavailable') throw Object.assign(new Error(r.left.msg), { unavailable: r.left });
  const d: DomainError = r.left;
  addError(p, { line: n, field: FIELD_OF[d.code] ?? '', msg: d.msg });
};

export const importRoutes = (deps: AppDeps, maxDepth = 32): Route[] => {
  const running = createRunningImports();
  const runPart = async (req: RouteRequest, p: PartProgress, body: Uint8Array): Promise<void> => {
    const lines = ndjsonLines(body);
    let i = 0;
    const worker = async (): Promise<void> => {
      let since = 0;
      for (let l = lines.next(); l.done !== true; l = lines.next()) {
        const n = p.firstLine + i++;
        const text = lineText(l.value);
        p.linesRead += 1;
        if (text === undefined || text.trim() !== '') {
          p.updatedAt = new Date().toISOString();
          await lineOf(deps, req, p, n, text, maxDepth);
        }
        // A blank line or a refused one awaits nothing but microtasks: without this, a body of
        // millions of them held the event loop (every other request) until the last was read.
        if (++since === YIELD_EVERY) {
          since = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  return [
    {
      method: 'post',
      path: '/api/v2/users/import',
      access: 'admin',
      body: true,
      raw: true,
      bodyLimit: IMPORT_LIMITS.body,
      summary:
        "Import users from NDJSON (admins); answers the whole import's recorded totals once this part's good lines are durable and the part is recorded",
      handler: async (req) => {
        const id = req.query.get('id') ?? req.newMessageId;
        if (!isIdLike(id)) return errors.invalidQuery('id', 'not an import id');
        const firstText = req.query.get('firstLine') ?? '1';
        const first = Number(firstText);
        if (!/^[0-9]+$/.test(firstText) || !Number.isSafeInteger(first) || first < 1)
          return errors.invalidQuery('firstLine', 'expected an integer >= 1');
        const body = req.body instanceof Uint8Array ? req.body : new Uint8Array();
        // Every line's number must fit the part's record, or its users would be written and the
        // record refused (a 400 after the writes, and an import no one could see). Subtracted, as
        // first + length would round above 2^53; counted only when the bytes alone do not settle it.
        const room = Number.MAX_SAFE_INTEGER - first;
        const count = body.length - 1 > room ? lineCount(body) : 0;
        if (count - 1 > room) return errors.invalidQuery('firstLine', `too large for a part of ${String(count)} lines`);
        const p = running.start(id, first, req.now);
        let recorded: Awaited<ReturnType<typeof deps.commands.recordImportPart>>;
        try {
          await runPart(req, p, body);
          const { firstLine, linesRead, usersWritten, unchanged, errors: count, firstErrors } = p;
          // Stamped now, when the part is recorded after its last line, with the time it started
          // in the record: stamped with the request's arrival, a recorded part read back as last
          // updated when it began, so an import's updatedAt went back once its part was recorded.
          recorded = await deps.commands.recordImportPart(
            { ...contextOf(req), now: new Date() },
            {
              id,
              startedAt: p.startedAt,
              firstLine,
              linesRead,
              usersWritten,
              unchanged,
              errors: count,
              firstErrors: [...firstErrors].sort((a, b) => a.line - b.line),
            },
          );
        } catch (e) {
          const u = (e as { unavailable?: Parameters<typeof fromDomainError>[0] }).unavailable;
          if (u !== undefined) return fromDomainError(u);
          throw e;
        } finally {
          running.finish(id, p);
        }
        if (E.isLeft(recorded)) return fromDomainError(recorded.left);
        // Read-your-writes: the answer holds this part, whichever node reads it next.
        const stale = await deps.projections.waitFor(recorded.right.position, READ_WAIT_MS).then(
          () => undefined,
          () => ({ 'X-Stale': 'true' }),
        );
        // Only when the read model could not catch up in time is the answer this part alone.
        const a = importAnswer(id, await deps.reads.userImport(id), []) ?? importAnswer(id, undefined, [p]);
        return ok({ ...a, done: running.parts(id).length === 0 }, stale);
      },
    },
    {
      method: 'get',
      path: '/api/v2/users/import/{id}',
      access: 'admin',
      summary:
        "An import's totals on any node: its recorded parts summed (lines read, users written, unchanged, errors, the first 100 errors by line and field), plus its parts still running on the node asked",
      handler: async (req) => {
        const id = req.params['id'] ?? '';
        const headers = await consistentRead(deps, req);
        const a = importAnswer(id, await deps.reads.userImport(id), running.parts(id));
        return a === undefined ? errors.notFound('no such import') : ok(a, headers);
      },
    },
  ];
};
