import { readdirSync, readFileSync } from 'node:fs';
import { join, normalize, posix } from 'node:path';

// The import statements of a TypeScript/JavaScript source, found by a small scanner (no
// compiler, no dependency): comments and the insides of strings, template literals and regular
// expression literals are blanked first (so import-like text inside them is not an import),
// then static imports, re-exports, side-effect imports and dynamic import('...') are matched
// on what is left, and each specifier is read back from the source at the same place.
// test/unit/layering.unit.test.ts states the folder rules over what this finds.

export interface ImportRef {
  /** Repository-relative path of the importing file, with forward slashes. */
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  /** `import type` / `export type`: erased from the emitted JavaScript. */
  readonly typeOnly: boolean;
  /** For a relative specifier: the repository-relative path it names (`.js` read as `.ts`). */
  readonly target?: string;
  /**
   * The value bindings of a static import (`default` for a default import, `*` for a namespace,
   * the imported names otherwise; `type` names left out); undefined for other kinds of import.
   */
  readonly bindings?: readonly string[];
}

/** The value bindings of an import clause such as `import Db, { type A, b as c } from`. */
const bindingsOf = (statement: string): readonly string[] | undefined => {
  const m = /^import\s+(?!type\s)([\s\S]*?)\s*\bfrom\s*$/.exec(statement);
  if (m?.[1] === undefined) return undefined;
  const clause = m[1];
  const out: string[] = [];
  const braces = /\{([\s\S]*)\}/.exec(clause);
  const head = clause
    .replace(/\{[\s\S]*\}/, '')
    .replace(/,/g, ' ')
    .trim();
  if (/^\*\s+as\s/.test(head)) out.push('*');
  else if (head !== '') out.push('default');
  for (const part of (braces?.[1] ?? '').split(',')) {
    const name = part.trim();
    if (name === '' || name.startsWith('type ')) continue;
    out.push(name.split(/\s+as\s+/)[0] ?? name);
  }
  return out;
};

const REGEX_BEFORE = new Set([
  '',
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
]);

const skipString = (src: string, start: number): number => {
  const quote = src[start];
  let i = start + 1;
  while (i < src.length && src[i] !== quote) i += src[i] === '\\' ? 2 : 1;
  return i + 1;
};

const skipRegex = (src: string, start: number): number => {
  let i = start + 1;
  let inClass = false;
  while (i < src.length && src[i] !== '\n') {
    const c = src[i];
    if (c === '\\') i += 2;
    else {
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) return i + 1;
      i += 1;
    }
  }
  return i;
};

const blank = (text: string): string => text.replace(/[^\n]/g, ' ');

/**
 * The source with every comment, and the inside of every string, template and regular
 * expression literal, replaced by spaces: same length and newlines, so offsets and line numbers hold.
 */
export const maskSource = (src: string): string => {
  let out = '';
  let i = 0;
  let last = '';
  while (i < src.length) {
    const c = src[i] ?? '';
    const next = src[i + 1] ?? '';
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      const stop = skipString(src, i);
      out += c + blank(src.slice(i + 1, stop - 1)) + src.slice(stop - 1, stop);
      last = c;
      i = stop;
    } else if (c === '/' && REGEX_BEFORE.has(last)) {
      const stop = skipRegex(src, i);
      out += `/${blank(src.slice(i + 1, stop))}`;
      last = '/';
      i = stop;
    } else {
      out += c;
      if (!/\s/.test(c)) last = /[\w$)\]]/.test(c) ? 'x' : c;
      i += 1;
    }
  }
  return out;
};

// On masked text: a specifier is a quote, blanks, the same quote; its text is read from the source.
const PATTERNS: readonly { readonly re: RegExp; readonly type: (m: RegExpExecArray) => boolean }[] = [
  // import x from '...', import type { a } from '...', export { a } from '...', export * from '...'
  { re: /\b(?:import|export)(\s+type)?\s[^;'"`]*?\bfrom\s*(['"])( +)\2/dg, type: (m) => m[1] !== undefined },
  // import '...'
  { re: /\bimport\s*(['"])( +)\1/dg, type: () => false },
  // import('...')
  { re: /\bimport\s*\(\s*(['"])( +)\1\s*\)/dg, type: () => false },
];

const toTs = (p: string): string => (p.endsWith('.js') ? `${p.slice(0, -3)}.ts` : p);

/** Every import of one file (`file` is repository-relative). */
export const importsOf = (file: string, source: string): ImportRef[] => {
  const text = maskSource(source);
  const found: ImportRef[] = [];
  for (const { re, type } of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const [start, end] = m.indices?.[m.length - 1] ?? [0, 0];
      const specifier = source.slice(start, end);
      const line = text.slice(0, m.index + m[0].length).split('\n').length;
      const target = specifier.startsWith('.')
        ? toTs(posix.normalize(posix.join(posix.dirname(file), specifier)))
        : undefined;
      const bindings = bindingsOf(text.slice(m.index, (m.indices?.[m.length - 1]?.[0] ?? 1) - 1));
      found.push({
        file,
        line,
        specifier,
        typeOnly: type(m),
        ...(target !== undefined ? { target } : {}),
        ...(bindings !== undefined ? { bindings } : {}),
      });
    }
  }
  return found.sort((a, b) => a.line - b.line);
};

/** The npm package (or node: builtin) a bare specifier names: `fp-ts/lib/Either.js` -> `fp-ts`. */
export const packageOf = (specifier: string): string => {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
};

/** Source files (.ts, and .js under web/) of the given top-level folders, repository-relative. */
export const sourceFiles = (root: string, folders: readonly string[]): string[] => {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return; // a folder of the table that does not exist yet
    }
    for (const e of entries) {
      const p = posix.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'vendor') walk(p);
      } else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const f of folders) walk(f);
  return out.sort();
};

export const readImports = (root: string, files: readonly string[]): ImportRef[] =>
  files.flatMap((f) => importsOf(f, readFileSync(join(root, f), 'utf8')));

/** `a/b/c.ts` -> `a`. */
export const folderOf = (path: string): string => normalize(path).split(/[\\/]/)[0] ?? path;
