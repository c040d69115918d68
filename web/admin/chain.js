/* global crypto, TextEncoder */
// Checks the hash-chain links of one stream's events in the browser, as `msgxc audit verify`
// does for each stream (adapters/eventstore/chain.ts): hash = SHA-256(prev "\n" content), with
// content = JSON.stringify([stream, revision, type, data, metadata without chain]) and prev the
// previous event's hash (64 zeros for the stream's first). It proves the events as served link
// up; it cannot see removals at the end or the global order (the checkpoints do: the CLI).
const GENESIS = '0'.repeat(64);
const UNCHAINED = 'unchained';

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (s) => hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));

export const content = (e) => {
  const rest = { ...e.metadata };
  delete rest.chain;
  return JSON.stringify([e.stream, e.revision, e.type, e.data, rest]);
};

/**
 * `events`: a stream's events from revision 0, in order. Returns { ok, checked, unchained } or
 * { ok: false, revision, position, problem } for the first event that does not fit.
 */
export const checkStream = async (events) => {
  if (crypto?.subtle === undefined) throw new Error('the browser offers no SHA-256 here (it needs https or localhost)');
  let prev = GENESIS;
  let checked = 0;
  let unchained = 0;
  for (const [i, e] of events.entries()) {
    const fail = (problem) => ({ ok: false, revision: e.revision, position: e.position, problem });
    if (e.revision !== i) return fail(`revision ${e.revision} where ${i} was expected (an event missing or moved)`);
    const link = e.metadata.chain;
    if (link === undefined) {
      if (checked > 0) return fail('no link after linked events (stripped?)');
      unchained += 1;
      prev = UNCHAINED;
      continue;
    }
    if (link.prev !== prev)
      return fail(`names predecessor ${link.prev.slice(0, 12)}… but the previous link is ${prev.slice(0, 12)}…`);
    const hash = await sha256(`${link.prev}\n${content(e)}`);
    if (hash !== link.hash) return fail('content does not hash to its link (altered)');
    prev = link.hash;
    checked += 1;
  }
  return { ok: true, checked, unchained };
};
