// A _bulk request's lines cut into requests Elasticsearch accepts. One request holding a whole
// batch of a 100,000-user broadcast (400,000 set members, 78 MB) was refused by the server's
// indexing pressure limit (`es_rejected_execution_exception`, max_coordinating_bytes: a tenth
// of its heap), every time: the search projection retried that batch forever. So a request
// carries at most about `budget` units of weight: a line weighs 1, plus a twentieth per uid of
// a stored list (a list of 100,000 uids is about 1.3 MB) — roughly 2-4 MB at the default,
// without serializing twice. Cuts fall between actions, never between an action and its
// document; a single action heavier than the budget goes alone.
const UIDS_PER_UNIT = 20;
export const BULK_BUDGET = 10_000;

const weight = (line: object): number => {
  const uids = (line as { uids?: unknown }).uids;
  return 1 + (Array.isArray(uids) ? uids.length / UIDS_PER_UNIT : 0);
};

export const bulkChunks = <T extends object>(lines: readonly T[], budget = BULK_BUDGET): T[][] => {
  const out: T[][] = [];
  let chunk: T[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; ) {
    const action = lines[i];
    if (action === undefined) break;
    // An action and, unless it is a delete, the document that follows it (index, create, update).
    const next = 'delete' in action ? undefined : lines[i + 1];
    const withDoc = next !== undefined;
    const w = weight(action) + (next === undefined ? 0 : weight(next));
    if (chunk.length > 0 && used + w > budget) {
      out.push(chunk);
      chunk = [];
      used = 0;
    }
    chunk.push(action);
    if (next !== undefined) chunk.push(next);
    used += w;
    i += withDoc ? 2 : 1;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
};
