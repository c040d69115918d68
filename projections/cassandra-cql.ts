// CQL migration text: split into statements, and bound to a keyspace. The .cql files name
// their tables without a keyspace so that one file serves every deployment (and runs as is
// with `cqlsh -k <keyspace> -f`); the driver's protocol v4 has no per-statement keyspace and a
// shared client may be bound to another keyspace, so each statement is qualified here.

/** Statements of a .cql text, without comments (`--`, `//`, block comments) or the final `;`. */
export const parseCql = (text: string): string[] => {
  const out: string[] = [];
  let current = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    const two = text.slice(i, i + 2);
    if (c === "'") {
      const end = closingQuote(text, i);
      current += text.slice(i, end + 1);
      i = end + 1;
    } else if (two === '--' || two === '//') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
    } else if (two === '/*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new Error('CQL: unterminated block comment');
      i = end + 2;
    } else if (c === ';') {
      out.push(current);
      current = '';
      i += 1;
    } else {
      current += c;
      i += 1;
    }
  }
  out.push(current);
  return out.map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s !== '');
};

// '' inside a string is an escaped quote.
const closingQuote = (text: string, open: number): number => {
  let i = open + 1;
  for (;;) {
    const q = text.indexOf("'", i);
    if (q === -1) throw new Error('CQL: unterminated string');
    if (text[q + 1] !== "'") return q;
    i = q + 2;
  }
};

const NAME = '([a-z_][a-z0-9_]*)(?![a-z0-9_.])';
const FORMS = [
  new RegExp(`^(CREATE TABLE IF NOT EXISTS )${NAME}`, 'i'),
  new RegExp(`^(ALTER TABLE )${NAME}`, 'i'),
  new RegExp(`^(DROP TABLE IF EXISTS )${NAME}`, 'i'),
  new RegExp(`^(CREATE (?:CUSTOM )?INDEX IF NOT EXISTS [a-z_][a-z0-9_]* ON )${NAME}`, 'i'),
  new RegExp(`^(CREATE TYPE IF NOT EXISTS )${NAME}`, 'i'),
];

/** Puts `keyspace.` before the statement's table (or type); refuses forms it does not know. */
export const qualify = (statement: string, keyspace: string): string => {
  for (const form of FORMS) {
    const m = form.exec(statement);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      return `${m[1]}${keyspace}.${m[2]}${statement.slice(m[0].length)}`;
    }
  }
  throw new Error(
    `CQL migration statement not supported (use an unqualified CREATE/ALTER/DROP TABLE ... IF [NOT] EXISTS): ${statement.slice(0, 80)}`,
  );
};
