import type { TopicKind } from '../../ports/bus.js';

// Ids may contain '.', which NATS reads as a token separator, so a key is escaped into one
// token: '%' and '.' (and, defensively, the wildcards and whitespace) become %XX.
const ESCAPE = /[%.*>\s]/g;
export const escapeToken = (key: string): string =>
  key.replace(ESCAPE, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
export const unescapeToken = (token: string): string =>
  token.replace(/%([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));

export const subjectOf = (prefix: string, kind: TopicKind, key: string): string =>
  kind === 'broadcast' ? `${prefix}.broadcast` : `${prefix}.${kind}.${escapeToken(key)}`;

/** The one wildcard subscription per kind. */
export const wildcardOf = (prefix: string, kind: TopicKind): string =>
  kind === 'broadcast' ? `${prefix}.broadcast` : `${prefix}.${kind}.*`;

export const keyOf = (prefix: string, kind: TopicKind, subject: string): string => {
  if (kind === 'broadcast') return '';
  const head = `${prefix}.${kind}.`;
  return subject.startsWith(head) ? unescapeToken(subject.slice(head.length)) : '';
};
