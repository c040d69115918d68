import { describe, expect, it } from 'vitest';
import { allRoutes } from '../../../api/app.js';
import type { AppDeps } from '../../../api/deps.js';
import { openApiDocument, operations } from '../../../schema/openapi.js';

// Route factories only capture their dependencies, so an empty object is enough to list them.
const routes = allRoutes({} as AppDeps);
const key = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

describe('OpenAPI document and mounted routes agree', () => {
  it('every route is documented and every documented operation is a route', () => {
    const mounted = routes.map((r) => key(r.method, r.path)).sort();
    const documented = Object.entries(operations)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => key(m, path)))
      .sort();
    expect(mounted).toEqual(documented);
    expect(new Set(mounted).size).toBe(mounted.length);
  });

  it('access, request body and idempotency match for each operation', () => {
    for (const r of routes) {
      const op = operations[r.path]?.[r.method];
      expect(op, key(r.method, r.path)).toBeDefined();
      expect({
        route: key(r.method, r.path),
        access: op?.access,
        body: op?.body !== undefined,
        idempotent: op?.idempotent === true,
      }).toEqual({
        route: key(r.method, r.path),
        access: r.access,
        body: r.body === true,
        idempotent: r.idempotent === true,
      });
    }
  });

  it('is a well-formed OpenAPI 3.1 document whose $refs resolve', () => {
    const doc = openApiDocument();
    expect(doc['openapi']).toBe('3.1.0');
    const schemas = (doc['components'] as { schemas: Record<string, unknown> }).schemas;
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(schemas[ref.split('/').pop() ?? ''], ref).toBeDefined();
  });
});
