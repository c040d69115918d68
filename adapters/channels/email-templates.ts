import type { EmailTemplate } from '../../schema/channels.js';

// Local email templates with msgxc's `{{var}}` substitution (its `mtempl`/`repl`: "Hi {{fn}}"
// filled from the user record, `{{text.x}}` from the message's own replacement map), plus
// mustache-style sections: `{{#messages}}...{{/messages}}` repeats for each digest entry,
// `{{#link}}...{{/link}}` renders only when the value is not empty. Values are HTML-escaped
// in the html part; templates cannot inject raw markup through a value.
export type Vars = { readonly [key: string]: string | readonly Vars[] | undefined };

export const BUILT_IN: { readonly message: EmailTemplate; readonly digest: EmailTemplate } = {
  message: {
    subject: '{{subject}}',
    text: '{{msg}}\n{{#link}}\nOpen: {{link}}\n{{/link}}\n-- \nSent by {{from}}{{#thread}} in {{thread}}{{/thread}}\n',
    html:
      '<!doctype html><html><body><p style="white-space:pre-wrap">{{msg}}</p>{{#link}}<p><a href="{{link}}">Open</a></p>{{/link}}' +
      '<p style="color:#666">Sent by {{from}}{{#thread}} in {{thread}}{{/thread}}</p></body></html>',
  },
  digest: {
    subject: '{{count}} new messages',
    text: '{{#messages}}{{from}}{{#thread}} in {{thread}}{{/thread}}: {{msg}}\n{{#link}}{{link}}\n{{/link}}\n{{/messages}}',
    html:
      '<!doctype html><html><body><ul>{{#messages}}<li><b>{{from}}</b>{{#thread}} in {{thread}}{{/thread}}: ' +
      '<span style="white-space:pre-wrap">{{msg}}</span>{{#link}} <a href="{{link}}">Open</a>{{/link}}</li>{{/messages}}</ul></body></html>',
  },
};

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const SECTION = /\{\{#\s*([\w.-]+)\s*\}\}([\s\S]*?)\{\{\/\s*\1\s*\}\}/g;
const VAR = /\{\{\s*([\w.-]+)\s*\}\}/g;

export const render = (template: string, vars: Vars, html: boolean): string => {
  const sections = template.replace(SECTION, (_m, name: string, inner: string) => {
    const v = vars[name];
    if (Array.isArray(v))
      return (v as readonly Vars[]).map((item) => render(inner, { ...vars, ...item }, html)).join('');
    return typeof v === 'string' && v !== '' ? render(inner, vars, html) : '';
  });
  return sections.replace(VAR, (_m, name: string) => {
    const v = vars[name];
    if (typeof v !== 'string') return '';
    return html ? escapeHtml(v) : v;
  });
};
