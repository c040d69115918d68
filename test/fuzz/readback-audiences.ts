import { differs, type ReadBack } from './readback.js';

// Read-back rules of the audience routes: a saved segment reads back with its name and query
// (instants in a query come back normalised to UTC milliseconds) and its count answers.
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const normalise = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [
      k,
      (k === 'after' || k === 'before') && typeof x === 'string' ? new Date(Date.parse(x)).toISOString() : normalise(x),
    ]),
  );
};

const defineSegment: ReadBack = async (c) => {
  const id = obj(c.answer.json)['id'];
  if (typeof id !== 'string') return [`answer has no id: ${c.answer.text.slice(0, 200)}`];
  const got = await c.reader.admin(`/api/v2/segments/${encodeURIComponent(id)}`);
  if (got.status !== 200) return [`GET segment ${id}: ${got.status} ${got.text.slice(0, 200)}`];
  const s = obj(got.json);
  const problems = [
    ...differs('name', s['name'], c.sent['name']),
    ...differs('query', s['query'], normalise(c.sent['query'])),
  ];
  const count = await c.reader.admin(`/api/v2/segments/${encodeURIComponent(id)}/count`);
  if (count.status !== 200 || typeof obj(count.json)['count'] !== 'number')
    problems.push(`GET segment ${id} count: ${count.status} ${count.text.slice(0, 200)}`);
  return problems;
};

/** The import's progress reads back as answered, and a line without errors is in the profile. */
const importUsers: ReadBack = async (c) => {
  const a = obj(c.answer.json);
  const id = a['id'];
  if (typeof id !== 'string') return [`answer has no id: ${c.answer.text.slice(0, 200)}`];
  const got = await c.reader.admin(`/api/v2/users/import/${encodeURIComponent(id)}`);
  const p = obj(got.json);
  const problems = got.status === 200 ? [] : [`GET import ${id}: ${got.status} ${got.text.slice(0, 200)}`];
  // Progress is cumulative under one import id, and another part may be running beside this one
  // (a burst of the same request): what is read back is at least what this answer said.
  for (const k of ['linesRead', 'usersWritten', 'unchanged', 'errors']) {
    const [got, answered] = [p[k], a[k]];
    if (typeof got !== 'number' || typeof answered !== 'number' || got < answered)
      problems.push(
        `${k}: read back ${JSON.stringify(got)}, answered ${JSON.stringify(answered)} (expected at least that)`,
      );
  }
  const uid = c.sent['uid'];
  if (a['errors'] === 0 && typeof uid === 'string') {
    const profile = await c.reader.admin(`/api/v2/users/${encodeURIComponent(uid)}/profile`);
    if (profile.status !== 200) problems.push(`GET profile of imported ${uid}: ${profile.status}`);
  }
  return problems;
};

export const audienceRules: Readonly<Record<string, ReadBack>> = {
  'POST /api/v2/segments': defineSegment,
  'POST /api/v2/users/import': importUsers,
};
