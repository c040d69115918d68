// The fuzzer's view of the HTTP API, read from the running server's own OpenAPI document
// (GET /api/v2/openapi.json): routes, methods, path and query parameters, who may call each,
// body schemas and the statuses each may answer. Nothing here imports the server's code, so
// a route added to the document is fuzzed without a change here (and a write route without
// a read-back rule fails the run: see readback.ts).
export type Schema = Record<string, unknown>;
export type Access = 'public' | 'user' | 'admin' | 'auditor' | 'analyst';

export interface Operation {
  /** `POST /api/v2/publish`: the key cases, the corpus and the read-back rules name it by. */
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly access: Access;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  /** The values a query parameter may take, where the document lists them. */
  readonly queryValues: Readonly<Record<string, readonly string[]>>;
  readonly idempotent: boolean;
  /** The body's schema with every `$ref` resolved, when the operation takes one. */
  readonly body: Schema | undefined;
  /** Status codes the document lists for it, and the schema of its success answer if any. */
  readonly statuses: ReadonlySet<number>;
  readonly okSchema: Schema | undefined;
}

export interface ApiDoc {
  readonly operations: readonly Operation[];
  readonly byKey: ReadonlyMap<string, Operation>;
  /** The websocket endpoint's path (`x-websocket.path`). */
  readonly wsPath: string;
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** Replaces every `{$ref: '#/components/schemas/X'}` by the schema it names (the document has no cycles). */
export const resolveRefs = (schema: unknown, components: Record<string, unknown>, depth = 0): unknown => {
  if (depth > 20) throw new Error('OpenAPI schema references nest too deep (a cycle?)');
  if (Array.isArray(schema)) return schema.map((s) => resolveRefs(s, components, depth + 1));
  if (!isRecord(schema)) return schema;
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1] ?? '';
    if (!(name in components)) throw new Error(`OpenAPI document names an unknown schema ${ref}`);
    return resolveRefs(components[name], components, depth + 1);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolveRefs(v, components, depth + 1)]));
};

const jsonSchemaOf = (content: unknown): Schema | undefined => {
  if (!isRecord(content)) return undefined;
  const json = content['application/json'];
  return isRecord(json) && isRecord(json['schema']) ? json['schema'] : undefined;
};

const ACCESS = new Set<string>(['public', 'user', 'admin', 'auditor', 'analyst']);

export const readApiDoc = (doc: unknown): ApiDoc => {
  if (!isRecord(doc) || !isRecord(doc['paths'])) throw new Error('not an OpenAPI document: no `paths`');
  const components =
    isRecord(doc['components']) && isRecord(doc['components']['schemas']) ? doc['components']['schemas'] : {};
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc['paths'])) {
    if (!isRecord(methods)) continue;
    for (const [method, raw] of Object.entries(methods)) {
      if (!isRecord(raw)) continue;
      const access = String(raw['x-access']);
      // A route the fuzzer cannot classify could not be checked for authorization: refuse it loudly.
      if (!ACCESS.has(access)) throw new Error(`${method.toUpperCase()} ${path}: unknown x-access ${access}`);
      const params = Array.isArray(raw['parameters']) ? raw['parameters'].filter(isRecord) : [];
      const named = (where: string): string[] => params.filter((p) => p['in'] === where).map((p) => String(p['name']));
      const responses = isRecord(raw['responses']) ? raw['responses'] : {};
      const statuses = new Set(Object.keys(responses).map(Number));
      const okKey = Object.keys(responses).find((s) => s.startsWith('2'));
      const ok = okKey === undefined ? undefined : responses[okKey];
      const body = isRecord(raw['requestBody']) ? jsonSchemaOf(raw['requestBody']['content']) : undefined;
      const okSchema = isRecord(ok) ? jsonSchemaOf(ok['content']) : undefined;
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        access: access as Access,
        pathParams: named('path'),
        queryParams: named('query'),
        queryValues: Object.fromEntries(
          params
            .filter((p) => p['in'] === 'query' && isRecord(p['schema']) && Array.isArray(p['schema']['enum']))
            .map((p) => [
              String(p['name']),
              ((p['schema'] as Record<string, unknown>)['enum'] as unknown[]).map(String),
            ]),
        ),
        idempotent: named('header').includes('Idempotency-Key'),
        body: body === undefined ? undefined : (resolveRefs(body, components) as Schema),
        statuses,
        okSchema: okSchema === undefined ? undefined : (resolveRefs(okSchema, components) as Schema),
      });
    }
  }
  const ws = isRecord(doc['x-websocket']) ? doc['x-websocket']['path'] : undefined;
  if (typeof ws !== 'string')
    throw new Error('the OpenAPI document does not name the websocket path (x-websocket.path)');
  return { operations, byKey: new Map(operations.map((o) => [o.key, o])), wsPath: ws };
};

/** `/api/v2/messages/{mid}` with its parameters put in, already encoded as the case wants them on the wire. */
export const fillPath = (path: string, segments: Readonly<Record<string, string>>): string =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name] ?? 'x');
