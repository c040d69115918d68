// webservice-notification's per-request email (`POST /notify` keeps `email_content`, `email_type`
// and `email_mime` in the message as `opts.email`): the body is the content as the service gave
// it, HTML unless `type` is text/plain (the seed's default is text/html), instead of our template.
// The route is server side only (an admin token), so the HTML is the sending service's own
// markup, as it was in the seed; a plain-text part is derived from it for clients without HTML.
// `mime` (the seed's MIME-Version, default 1.0) is accepted and has no other value to take:
// both providers write MIME-Version 1.0 themselves.

export interface RequestBody {
  readonly text: string;
  readonly html: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** A readable text part of an HTML body: line breaks where blocks end, no tags, basic entities. */
export const textOfHtml = (html: string): string =>
  html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|li|h[1-6]|tr)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_m, e: string) => ENTITIES[e] ?? '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();

/** The body a message's `opts.email` asks for, or undefined when it names no content. */
export const requestBody = (opts: Readonly<Record<string, unknown>>): RequestBody | undefined => {
  const e = opts['email'];
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return undefined;
  const { content, type } = e as Record<string, unknown>;
  if (typeof content !== 'string' || content === '') return undefined;
  return type === 'text/plain'
    ? { text: content, html: `<!doctype html><html><body><pre>${escapeHtml(content)}</pre></body></html>` }
    : { text: textOfHtml(content), html: content };
};
