import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImportRef, folderOf, importsOf, packageOf, readImports, sourceFiles } from '../suite/imports.js';

// The layering of the code base (docs/architecture.md, "where things are" in README.md), as a
// test over the import statements of every source file. A violation is named by file, line
// and target. Folders that do not exist yet (follower/, delivery/) already have their rules.

type Folder =
  | 'schema'
  | 'domain'
  | 'ports'
  | 'commands'
  | 'follower'
  | 'projections'
  | 'delivery'
  | 'adapters'
  | 'api'
  | 'app'
  | 'bin'
  | 'web';

/** Which of our folders each folder may import (besides itself). */
const MAY_IMPORT: Readonly<Record<Folder, readonly Folder[]>> = {
  schema: [],
  domain: ['schema'],
  ports: ['schema'],
  commands: ['domain', 'ports', 'schema'],
  follower: ['ports', 'schema'],
  projections: ['domain', 'ports', 'schema', 'follower'],
  delivery: ['commands', 'domain', 'ports', 'schema', 'follower'],
  adapters: ['ports', 'schema'],
  // Transport only: the command side, the read side's queries (and delivery's reports), ports, codecs.
  api: ['commands', 'projections', 'delivery', 'ports', 'schema'],
  app: ['schema', 'domain', 'ports', 'commands', 'follower', 'projections', 'delivery', 'adapters', 'api'],
  bin: ['app'],
  web: ['schema'],
};
const FOLDERS = Object.keys(MAY_IMPORT) as Folder[];

/** npm packages (and node: builtins) a folder may import; folders not listed may import any. */
const PACKAGES: Partial<Record<Folder, readonly string[]>> = {
  domain: ['fp-ts', 'io-ts'],
  // node:crypto: device ids are a hash of the device's token (commands/device-id.ts).
  commands: ['fp-ts', 'io-ts', 'node:crypto'],
  // No database driver: delivery's state is behind ports/delivery-state.ts (node:crypto: run
  // ids and digest delivery ids).
  delivery: ['fp-ts', 'io-ts', 'node:crypto'],
  // The read models' SQL and CQL (SHAPE: "one folder per read model, its evolve, events,
  // queries, CQL/SQL"), written over a connection adapters/read-store/ opened (see DRIVERS);
  // node:fs/path/url: the Cassandra migrations read their .cql files shipped beside them.
  projections: [
    'fp-ts',
    'io-ts',
    'node:crypto',
    'node:timers',
    'node:fs',
    'node:path',
    'node:url',
    'better-sqlite3',
    'cassandra-driver',
  ],
};

/**
 * Database drivers a folder may use only through a handle it is given: the value bindings it
 * may import from each (types are always allowed). A connection or client is opened in
 * adapters/ (one implementation per technology), never here.
 */
const DRIVERS: Partial<Record<Folder, Readonly<Record<string, readonly string[]>>>> = {
  // cassandra-driver's `types`: the CQL value codecs (Long, consistencies), not a client.
  projections: { 'better-sqlite3': [], 'cassandra-driver': ['types'] },
};

const isFolder = (f: string): f is Folder => (FOLDERS as readonly string[]).includes(f);
const where = (i: ImportRef): string => `${i.file}:${i.line} -> ${i.target ?? i.specifier}`;

interface Checked {
  readonly violations: readonly string[];
}

/** Every rule over a set of imports (pure, so the rules themselves are tested below). */
const check = (imports: readonly ImportRef[]): Checked => {
  const violations: string[] = [];
  const edges = new Map<string, ImportRef>(); // "from -> to" between folders, one example import each
  for (const i of imports) {
    const from = folderOf(i.file);
    if (i.target === undefined) {
      const allowed = isFolder(from) ? PACKAGES[from] : undefined;
      const pkg = packageOf(i.specifier);
      if (allowed !== undefined && !allowed.includes(pkg))
        violations.push(`${where(i)}: ${from}/ may import only the packages ${allowed.join(', ')}`);
      const driver = isFolder(from) ? DRIVERS[from]?.[pkg] : undefined;
      const opened =
        driver === undefined || i.typeOnly ? [] : (i.bindings ?? ['import()']).filter((b) => !driver.includes(b));
      if (opened.length > 0)
        violations.push(
          `${where(i)}: ${from}/ may use ${pkg} only through a handle adapters/ opened (${driver?.length ? `values: ${driver.join(', ')}` : 'types only'}; not ${opened.join(', ')})`,
        );
      continue;
    }
    const to = folderOf(i.target);
    if (to === from) continue;
    if (!edges.has(`${from} -> ${to}`)) edges.set(`${from} -> ${to}`, i);
    if (to === 'web' && from !== 'web') {
      violations.push(`${where(i)}: nothing outside web/ imports browser code`);
      continue;
    }
    if (!isFolder(from) || !isFolder(to)) continue;
    if (!MAY_IMPORT[from].includes(to)) {
      const may = MAY_IMPORT[from];
      violations.push(`${where(i)}: ${from}/ may import ${may.length === 0 ? 'none of our folders' : may.join(', ')}`);
    } else if (from === 'web' && !i.typeOnly) {
      violations.push(`${where(i)}: web/ may import schema/ for types only (import type)`);
    }
  }
  violations.push(...cycles(edges));
  return { violations };
};

/** Import cycles between folders, each named with one import per step. */
const cycles = (edges: ReadonlyMap<string, ImportRef>): string[] => {
  const next = new Map<string, string[]>();
  for (const e of edges.keys()) {
    const [a = '', b = ''] = e.split(' -> ');
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const found = new Set<string>();
  const visit = (path: readonly string[]): void => {
    const here = path[path.length - 1] ?? '';
    for (const n of next.get(here) ?? []) {
      const at = path.indexOf(n);
      if (at !== -1) {
        const loop = [...path.slice(at), n];
        const steps = loop.slice(1).map((to, k) => edges.get(`${loop[k] ?? ''} -> ${to}`));
        const start = loop.slice(0, -1).sort()[0];
        if (loop[0] === start)
          found.add(`import cycle ${loop.join(' -> ')} (${steps.map((s) => (s ? where(s) : '')).join('; ')})`);
      } else visit([...path, n]);
    }
  };
  for (const f of next.keys()) visit([f]);
  return [...found];
};

const ROOT = resolve(import.meta.dirname, '../..');
// Every folder of the table, plus bench/ (which must not import web/ either). Tests may import anything.
const repoImports = (): ImportRef[] => readImports(ROOT, sourceFiles(ROOT, [...FOLDERS, 'bench']));

describe('layering', () => {
  it('holds for every import of every source file', () => {
    const imports = repoImports();
    expect(imports.length).toBeGreaterThan(500);
    expect(check(imports).violations).toEqual([]);
  });
});

describe('the layering check itself', () => {
  const of = (files: Record<string, string>): ImportRef[] =>
    Object.entries(files).flatMap(([f, src]) => importsOf(f, src));

  it('names a forbidden import by file, line and target', () => {
    const r = check(
      of({ 'api/x.ts': "import type { A } from '../ports/a.js';\nimport { b } from '../adapters/b.js';\n" }),
    );
    expect(r.violations).toEqual([
      'api/x.ts:2 -> adapters/b.ts: api/ may import commands, projections, delivery, ports, schema',
    ]);
  });

  it('keeps domain and commands to their packages, and web to types', () => {
    const r = check(
      of({
        'domain/d.ts': "import * as E from 'fp-ts/lib/Either.js';\nimport pino from 'pino';\n",
        'commands/c.ts': "import { createHash } from 'node:crypto';\nimport Db from 'better-sqlite3';\n",
        'web/w.ts': "import type { F } from '../schema/f.js';\nimport { G } from '../schema/g.js';\n",
        'api/a.ts': "export { x } from '../web/client/client.js';\n",
      }),
    );
    expect(r.violations).toEqual([
      'domain/d.ts:2 -> pino: domain/ may import only the packages fp-ts, io-ts',
      'commands/c.ts:2 -> better-sqlite3: commands/ may import only the packages fp-ts, io-ts, node:crypto',
      'web/w.ts:2 -> schema/g.ts: web/ may import schema/ for types only (import type)',
      'api/a.ts:1 -> web/client/client.ts: nothing outside web/ imports browser code',
    ]);
  });

  it('already holds follower/ and delivery/ to their rules', () => {
    const r = check(
      of({
        'follower/f.ts': "import { p } from '../projections/p.js';\n",
        'delivery/d.ts': "import { a } from '../api/a.js';\nimport { c } from '../commands/c.js';\n",
        'delivery/e.ts': "import { randomUUID } from 'node:crypto';\nimport Db from 'better-sqlite3';\n",
      }),
    );
    expect(r.violations).toEqual([
      'follower/f.ts:1 -> projections/p.ts: follower/ may import ports, schema',
      'delivery/d.ts:1 -> api/a.ts: delivery/ may import commands, domain, ports, schema, follower',
      'delivery/e.ts:2 -> better-sqlite3: delivery/ may import only the packages fp-ts, io-ts, node:crypto',
    ]);
  });

  it('keeps projections/ to the read-model drivers, used through a handle adapters/ opened', () => {
    const r = check(
      of({
        'projections/a.ts':
          "import type { Database } from 'better-sqlite3';\nimport { types } from 'cassandra-driver';\n",
        'projections/b.ts':
          "import Db from 'better-sqlite3';\nimport { Client, types as t } from 'cassandra-driver';\n",
        'projections/c.ts': "import { connect } from 'nats';\n",
      }),
    );
    expect(r.violations).toEqual([
      'projections/b.ts:1 -> better-sqlite3: projections/ may use better-sqlite3 only through a handle adapters/ opened (types only; not default)',
      'projections/b.ts:2 -> cassandra-driver: projections/ may use cassandra-driver only through a handle adapters/ opened (values: types; not Client)',
      'projections/c.ts:1 -> nats: projections/ may import only the packages fp-ts, io-ts, node:crypto, node:timers, node:fs, node:path, node:url, better-sqlite3, cassandra-driver',
    ]);
  });

  it('names an import cycle between folders', () => {
    const r = check(
      of({
        'commands/reactors/r.ts': "import { q } from '../../projections/deliveries/q.js';\n",
        'projections/deliveries/q.ts': "import { c } from '../../commands/c.js';\n",
      }),
    );
    expect(r.violations).toEqual([
      'commands/reactors/r.ts:1 -> projections/deliveries/q.ts: commands/ may import domain, ports, schema',
      'projections/deliveries/q.ts:1 -> commands/c.ts: projections/ may import domain, ports, schema, follower',
      'import cycle commands -> projections -> commands (commands/reactors/r.ts:1 -> projections/deliveries/q.ts; projections/deliveries/q.ts:1 -> commands/c.ts)',
    ]);
  });

  it('reads imports, not text that looks like one', () => {
    const src = [
      "// import { a } from '../adapters/a.js';",
      "/* export * from '../adapters/b.js'; */",
      'const s = "import { c } from \'../adapters/c.js\'";',
      "const r = /from '..\\/adapters\\/d.js'/;",
      'import type {',
      '  E,',
      "} from '../ports/e.js';",
      "const m = await import('../ports/f.js');",
    ].join('\n');
    expect(importsOf('api/x.ts', src).map((i) => [i.line, i.target, i.typeOnly])).toEqual([
      [7, 'ports/e.ts', true],
      [8, 'ports/f.ts', false],
    ]);
  });
});
