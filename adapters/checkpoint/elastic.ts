import type { Client } from '@elastic/elasticsearch';
import type { CheckpointStore, DeadLetter, Progress } from '../../ports/follower.js';

// The follower's checkpoints and dead letters as documents of one Elasticsearch index (the
// search store's `<prefix>checkpoints`, one per generation): a checkpoint is the document
// `<follower>`, a dead letter `dead-letter/<follower>/<position>`. A checkpoint is read by id
// (real time, no refresh needed) and written after the batch's bulks succeeded.

const DEAD_LETTERS_MAX = 10_000;

/** The fields the checkpoints index maps (schema/elastic/checkpoints.json), put on older indices too. */
export const CHECKPOINT_FIELDS = {
  name: { type: 'keyword' },
  position: { type: 'long' },
  follower: { type: 'keyword' },
  stream: { type: 'keyword' },
  type: { type: 'keyword' },
  reason: { type: 'keyword', index: false },
  at: { type: 'keyword', index: false },
} as const;

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const deadLetterOf = (s: unknown): DeadLetter => {
  const d = (s ?? {}) as Partial<Record<keyof DeadLetter, unknown>>;
  return {
    follower: text(d.follower),
    position: typeof d.position === 'number' ? d.position : 0,
    stream: text(d.stream),
    type: text(d.type),
    reason: text(d.reason),
    at: text(d.at),
  };
};

export const createElasticCheckpoints = (client: Client, index: string): CheckpointStore => {
  const write = async (name: string, position: number): Promise<void> => {
    await client.index({ index, id: name, document: { name, position } });
  };
  const save = async (name: string, p: Progress): Promise<void> => {
    if (p.deadLetters.length > 0) {
      const operations = p.deadLetters.flatMap((d) => [
        { index: { _index: index, _id: `dead-letter/${d.follower}/${d.position}` } },
        { ...d },
      ]);
      const r = await client.bulk({ operations, refresh: true });
      if (r.errors) throw new Error(`recording ${p.deadLetters.length} dead letter(s) failed`);
    }
    await write(name, p.position);
  };
  return {
    read: async (name) => {
      const r = await client.get<{ position: number }>({ index, id: name }, { ignore: [404] });
      return r.found ? (r._source?.position ?? 0) : 0;
    },
    commit: async (name, work) => {
      const r = await work();
      await save(name, r);
      return r;
    },
    write,
    deadLetters: async (follower) => {
      const r = await client.search({
        index,
        size: DEAD_LETTERS_MAX,
        query: {
          bool: {
            filter: [{ exists: { field: 'follower' } }, ...(follower === undefined ? [] : [{ term: { follower } }])],
          },
        },
        sort: [{ follower: 'asc' }, { position: 'asc' }],
      });
      return r.hits.hits.map((h) => deadLetterOf(h._source));
    },
  };
};
