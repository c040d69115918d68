import * as E from 'fp-ts/lib/Either.js';
import { isIdLike } from '../../schema/ids.js';
import { parseJson } from '../../schema/json.js';
import { IMPORT_LIMITS, decodeImportLine } from '../../schema/user-import.js';
import type { ImportedUser } from '../../schema/user-import.js';
import type { DomainError } from '../../commands/types.js';
import { contextOf, type AppDeps } from '../deps.js';
import { errors, fromDomainError } from '../errors.js';
import { ok, type Route, type RouteRequest } from '../route.js';
import { addError, createImportProgress, type ImportProgress } from './import-progress.js';

// POST /api/v2/users/import (admins): NDJSON, one user per line, applied as profile changes
// (at most CONCURRENCY lines in flight). The body is read whole under the route's own cap
// (IMPORT_LIMITS.body, 16 MiB, instead of MSGXC_BODY_LIMIT): a larger file is sent in several
// requests under one import id (`?id=`, with `?firstLine=` so that errors keep the file's line
// numbers), which is what `msgxc import` does. The answer comes when every good line is durable.

const CONCURRENCY = 8;

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
  p: ImportProgress,
  n: number,
  text: string,
  maxDepth: number,
): Promise<void> => {
  if (text.length > IMPORT_LIMITS.line) {
    addError(p, { line: n, field: '', msg: `longer than ${IMPORT_LIMITS.line} characters` });
    return;
  }
  const parsed = parseJson(text, maxDepth);
  if (!parsed.ok) {
    addError(p, { line: n, field: '', msg: `not JSON: ${parsed.detail}` });
    return;
  }
  const user = decodeImportLine(parsed.value);
  if (E.isLeft(user)) {
    addError(p, { line: n, field: user.left.field, msg: user.left.msg });
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
  const progress = createImportProgress();
  return [
    {
      method: 'post',
      path: '/api/v2/users/import',
      access: 'admin',
      body: true,
      raw: true,
      bodyLimit: IMPORT_LIMITS.body,
      summary:
        'Import users from NDJSON (admins); answers the import id and its progress once every good line is durable',
      handler: async (req) => {
        const id = req.query.get('id') ?? req.newMessageId;
        if (!isIdLike(id)) return errors.invalidQuery('id', 'not an import id');
        const first = Number(req.query.get('firstLine') ?? '1');
        if (!Number.isSafeInteger(first) || first < 1)
          return errors.invalidQuery('firstLine', 'expected an integer >= 1');
        const lines = String(req.body).split('\n');
        if (lines.at(-1) === '') lines.pop();
        const p = progress.open(id, req.now);
        p.running += 1;
        try {
          let next = 0;
          const worker = async (): Promise<void> => {
            while (next < lines.length) {
              const i = next++;
              const text = (lines[i] ?? '').replace(/\r$/, '');
              p.linesRead += 1;
              p.updatedAt = new Date().toISOString();
              if (text.trim() !== '') await lineOf(deps, req, p, first + i, text, maxDepth);
            }
          };
          await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        } catch (e) {
          const u = (e as { unavailable?: Parameters<typeof fromDomainError>[0] }).unavailable;
          if (u !== undefined) return fromDomainError(u);
          throw e;
        } finally {
          p.running -= 1;
        }
        return ok(snapshot(p));
      },
    },
    {
      method: 'get',
      path: '/api/v2/users/import/{id}',
      access: 'admin',
      summary:
        'Progress of an import on this node: lines read, users written, unchanged, errors (the first 100 named by line and field)',
      handler: (req) => {
        const p = progress.get(req.params['id'] ?? '');
        return Promise.resolve(p === undefined ? errors.notFound('no such import on this node') : ok(snapshot(p)));
      },
    },
  ];
};

const snapshot = (p: ImportProgress) => ({
  id: p.id,
  linesRead: p.linesRead,
  usersWritten: p.usersWritten,
  unchanged: p.unchanged,
  errors: p.errors,
  firstErrors: p.firstErrors,
  done: p.running === 0,
  startedAt: p.startedAt,
  updatedAt: p.updatedAt,
});
