import type { Client, estypes } from '@elastic/elasticsearch';
import checkpoints from '../../schema/elastic/checkpoints.json' with { type: 'json' };
import deliveries from '../../schema/elastic/deliveries.json' with { type: 'json' };
import messages from '../../schema/elastic/messages.json' with { type: 'json' };
import receipts from '../../schema/elastic/receipts.json' with { type: 'json' };
import users from '../../schema/elastic/users.json' with { type: 'json' };
import checkins from '../../schema/elastic/checkins.json' with { type: 'json' };
import { CHECKPOINT_FIELDS } from '../checkpoint/elastic.js';

// The six indices of one search store generation. Queries name them by alias,
// `<prefix><kind>`; generation N's indices are `<prefix><kind>-g<N>`, each created with the
// settings and mappings of its file in schema/elastic/. A store from before generations has
// concrete indices under the alias names: that is generation 0 until the first rebuild
// replaces them with an alias in the same atomic request.

export const KINDS = ['messages', 'deliveries', 'receipts', 'checkpoints', 'users', 'checkins'] as const;
export type IndexKind = (typeof KINDS)[number];
export type IndexNames = Readonly<Record<IndexKind, string>>;

const TEMPLATES: Readonly<Record<IndexKind, { readonly template: object }>> = {
  messages,
  deliveries,
  receipts,
  checkpoints,
  users,
  checkins,
};

/** Index names must be lower case and must not start with `_`, `-` or `+`. */
export const isValidPrefix = (prefix: string): boolean => /^[a-z0-9][a-z0-9._-]{0,63}$/.test(prefix);

/** The alias names queries use: `<prefix><kind>`. */
export const indexNames = (prefix: string): IndexNames =>
  Object.fromEntries(KINDS.map((k) => [k, `${prefix}${k}`])) as Record<IndexKind, string>;

/** Generation `n`'s concrete indices (0: the concrete indices of a store from before generations). */
export const generationNames = (prefix: string, n: number): IndexNames =>
  Object.fromEntries(KINDS.map((k) => [k, n === 0 ? `${prefix}${k}` : `${prefix}${k}-g${n}`])) as Record<
    IndexKind,
    string
  >;

const alreadyExists = (e: unknown): boolean =>
  typeof e === 'object' &&
  e !== null &&
  (e as { meta?: { body?: { error?: { type?: unknown } } } }).meta?.body?.error?.type ===
    'resource_already_exists_exception';

// Idempotent: nodes starting together on a new cluster create the same indices from the same
// files; the one that finds an index made by another uses it (a start used to fail there).
const createIndex = async (client: Client, kind: IndexKind, index: string, replicas?: number): Promise<void> => {
  const t = TEMPLATES[kind].template as estypes.IndicesPutIndexTemplateIndexTemplateMapping;
  try {
    await client.indices.create({
      index,
      ...(t.mappings === undefined ? {} : { mappings: t.mappings }),
      settings: replicas === undefined ? (t.settings ?? {}) : { ...t.settings, number_of_replicas: replicas },
    });
  } catch (e) {
    if (!alreadyExists(e)) throw e;
  }
};

/** Creates a generation's indices; `replicas` overrides the files' number_of_replicas. */
export const createIndices = async (client: Client, names: IndexNames, replicas?: number): Promise<void> => {
  for (const kind of KINDS) await createIndex(client, kind, names[kind], replicas);
};

/**
 * A generation made before the user directory has no users index: it gets an empty one (behind
 * `alias` when the generation is aliased). Its users appear after `msgxc rebuild search`.
 */
export const addUsersIndex = async (
  client: Client,
  names: IndexNames,
  aliases: IndexNames | undefined,
  replicas?: number,
): Promise<void> => {
  // The same for the online-time index (check-ins), added later still.
  for (const kind of ['users', 'checkins'] as const) {
    if (await client.indices.exists({ index: names[kind] })) continue;
    await createIndex(client, kind, names[kind], replicas);
    if (aliases !== undefined) await client.indices.putAlias({ index: names[kind], name: aliases[kind] });
  }
};

/** Adds the fields a checkpoints index gained since (dead letters) to one created before. */
export const upgradeCheckpointsIndex = async (client: Client, names: IndexNames): Promise<void> => {
  await client.indices.putMapping({ index: names.checkpoints, properties: CHECKPOINT_FIELDS });
};

/**
 * Adds the fields the documents gained since (funnel, channels, a delivery's tid, msg_at and
 * read_ms; a receipt member's `n`, a live list's `uids` and `root`, a held receipt's `receipt`) to a generation created before: mappings only grow, so this is safe on every open.
 * Documents indexed before read back with an empty funnel until a rebuild.
 */
export const upgradeDocumentIndices = async (client: Client, names: IndexNames): Promise<void> => {
  for (const kind of ['messages', 'deliveries', 'receipts'] as const) {
    const t = TEMPLATES[kind].template as estypes.IndicesPutIndexTemplateIndexTemplateMapping;
    const properties = t.mappings?.properties;
    if (properties !== undefined) await client.indices.putMapping({ index: names[kind], properties });
  }
};

export const deleteIndices = async (client: Client, names: IndexNames): Promise<void> => {
  await client.indices.delete({ index: KINDS.map((k) => names[k]), ignore_unavailable: true });
};

/** Index templates that stores from before generations installed under the alias names. */
export const deleteTemplates = async (client: Client, names: IndexNames): Promise<void> => {
  for (const kind of KINDS) await client.indices.deleteIndexTemplate({ name: names[kind] }, { ignore: [404] });
};
