import type { EmailTemplate } from '../../schema/channels.js';
import type { JsonObject } from '../../schema/json.js';
import { linkOf } from './content.js';
import { BUILT_IN, render, type Vars } from './email-templates.js';
import { requestBody } from './email-request.js';
import type { Content, Delivery, EmailRecipient, OutgoingMessage } from '../../ports/channel.js';

// Our content -> one email for one recipient (never a shared message with everyone in BCC):
// subject, text and html from the local templates, and the same variables as a SendGrid
// dynamic template's data. A message's `opts.repl` supplies `{{text.<key>}}` values and
// `opts.mtempl` may name another SendGrid dynamic template, as msgxc's fields did.
export interface EmailSettings {
  readonly from: string;
  readonly linkBase?: string;
  readonly templates: { readonly message?: EmailTemplate; readonly digest?: EmailTemplate };
}

export interface Email {
  readonly to: { readonly email: string; readonly name?: string };
  readonly from: string;
  readonly kind: 'message' | 'digest';
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The template variables, for SendGrid's dynamic templates. */
  readonly data: Readonly<Record<string, unknown>>;
  /** `opts.mtempl` when it is a SendGrid dynamic template id. */
  readonly templateId?: string;
  readonly mid: string;
}

const strings = (o: unknown): Record<string, string> =>
  typeof o === 'object' && o !== null && !Array.isArray(o)
    ? Object.fromEntries(Object.entries(o as JsonObject).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

const messageVars = (m: OutgoingMessage, linkBase: string | undefined): Record<string, string> => {
  const link = linkOf(linkBase, m);
  return {
    msg: m.msg,
    from: m.from,
    mid: m.mid,
    at: m.at,
    subject:
      m.subject ?? (m.threadName !== undefined ? `New message in ${m.threadName}` : `New message from ${m.from}`),
    ...(m.tid !== undefined ? { tid: m.tid } : {}),
    ...(m.threadName !== undefined ? { thread: m.threadName } : {}),
    ...(link !== undefined ? { link } : {}),
  };
};

const prefixed = (prefix: string, o: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [`${prefix}${k}`, v]));

export const emailFor = (d: Delivery<EmailRecipient>, s: EmailSettings): Email => {
  const c: Content = d.content;
  const lead = c.kind === 'message' ? c.message : c.messages[0];
  const user = {
    ...(d.to.attributes ?? {}),
    ...(d.to.name !== undefined ? { name: d.to.name } : {}),
    email: d.to.address,
  };
  const repl = strings(lead.opts['repl']);
  const base: Record<string, string> = {
    // Bare names are the message's fields, else the user record's (msgxc's "Hi {{fn}}").
    ...user,
    ...prefixed('user.', user),
    ...prefixed('text.', { ...repl, msg: lead.msg }),
    ...messageVars(lead, s.linkBase),
  };
  const items = c.kind === 'digest' ? c.messages.map((m) => messageVars(m, s.linkBase)) : [];
  const vars: Vars = c.kind === 'digest' ? { ...base, count: String(items.length), messages: items } : base;
  const template = (c.kind === 'digest' ? s.templates.digest : s.templates.message) ?? BUILT_IN[c.kind];
  const mtempl = lead.opts['mtempl'];
  // A body given with the message (webservice-notification's email_content) replaces the template's.
  const given = c.kind === 'message' ? requestBody(lead.opts) : undefined;
  return {
    to: { email: d.to.address, ...(d.to.name !== undefined ? { name: d.to.name } : {}) },
    from: s.from,
    kind: c.kind,
    subject: render(template.subject, vars, false).replace(/\s+/g, ' ').trim(),
    text: given?.text ?? render(template.text, vars, false),
    html: given?.html ?? render(template.html, vars, true),
    data: {
      ...messageVars(lead, s.linkBase),
      user,
      text: { ...repl, msg: lead.msg },
      ...(c.kind === 'digest' ? { count: items.length, messages: items } : {}),
    },
    ...(typeof mtempl === 'string' && /^d-[0-9a-f]{32}$/.test(mtempl) ? { templateId: mtempl } : {}),
    mid: lead.mid,
  };
};
