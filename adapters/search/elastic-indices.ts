import type { Client, estypes } from '@elastic/elasticsearch';
import checkpoints from '../../schema/elastic/checkpoints.json' with { type: 'json' };
import deliveries from '../../schema/elastic/deliveries.json' with { type: 'json' };
import messages from '../../schema/elastic/messages.json' with { type: 'json' };
import receipts from '../../schema/elastic/receipts.json' with { type: 'json' };

// The four indices of one search store, named `<prefix><kind>`, each created from its index
// template in schema/elastic/ (the template's pattern is replaced by the exact index name,
// so stores with different prefixes share a cluster without sharing mappings).

export const KINDS = ['messages', 'deliveries', 'receipts', 'checkpoints'] as const;
export type IndexKind = (typeof KINDS)[number];
export type IndexNames = Readonly<Record<IndexKind, string>>;

const TEMPLATES: Readonly<
  Record<IndexKind, { readonly priority: number; readonly _meta: object; readonly template: object }>
> = {
  messages,
  deliveries,
  receipts,
  checkpoints,
};

/** Index names must be lower case and must not start with `_`, `-` or `+`. */
export const isValidPrefix = (prefix: string): boolean => /^[a-z0-9][a-z0-9._-]{0,63}$/.test(prefix);

export const indexNames = (prefix: string): IndexNames =>
  Object.fromEntries(KINDS.map((k) => [k, `${prefix}${k}`])) as Record<IndexKind, string>;

const isAlreadyThere = (e: unknown): boolean =>
  typeof e === 'object' &&
  e !== null &&
  'body' in e &&
  JSON.stringify(e.body).includes('resource_already_exists_exception');

/** Puts the templates and creates the indices that do not exist yet. `replicas` overrides the templates' 1. */
export const installIndices = async (client: Client, names: IndexNames, replicas?: number): Promise<void> => {
  for (const kind of KINDS) {
    const { priority, _meta, template } = TEMPLATES[kind];
    const t = template as estypes.IndicesPutIndexTemplateIndexTemplateMapping;
    await client.indices.putIndexTemplate({
      name: names[kind],
      index_patterns: [names[kind]],
      priority,
      _meta,
      template: replicas === undefined ? t : { ...t, settings: { ...t.settings, number_of_replicas: replicas } },
    });
    try {
      await client.indices.create({ index: names[kind] });
    } catch (e) {
      if (!isAlreadyThere(e)) throw e;
    }
  }
};

export const deleteIndices = async (client: Client, names: IndexNames): Promise<void> => {
  await client.indices.delete({ index: KINDS.map((k) => names[k]), ignore_unavailable: true });
};

export const deleteTemplates = async (client: Client, names: IndexNames): Promise<void> => {
  for (const kind of KINDS) await client.indices.deleteIndexTemplate({ name: names[kind] }, { ignore: [404] });
};
