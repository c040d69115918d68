import type { MessageContent } from '../../commands/types.js';
import type { MessageView } from '../../ports/read-models.js';
import type { LocalSchedule } from '../../schema/local-time.js';
import { personal } from '../../delivery/personal.js';

export const contentOf = (b: {
  msg: string;
  opts?: Record<string, unknown>;
  scheduled?: Date | LocalSchedule;
  subject?: string;
  variants?: readonly unknown[];
}): MessageContent => ({
  msg: b.msg,
  opts: (b.variants === undefined ? (b.opts ?? {}) : { ...b.opts, variants: b.variants }) as MessageContent['opts'],
  ...(b.scheduled instanceof Date ? { scheduled: b.scheduled } : {}),
  ...(b.scheduled !== undefined && !(b.scheduled instanceof Date) ? { local: b.scheduled } : {}),
  ...(b.subject !== undefined ? { subject: b.subject } : {}),
});

/** A message as the API shows it: `{mid, tid?, from, msg, opts, urgency, at, scheduled?}`. */
export const messageJson = (m: MessageView): MessageView => ({
  mid: m.mid,
  ...(m.tid !== undefined ? { tid: m.tid } : {}),
  from: m.from,
  msg: m.msg,
  opts: m.opts,
  urgency: m.urgency,
  at: m.at,
  ...(m.scheduled !== undefined ? { scheduled: m.scheduled } : {}),
});

/**
 * A message as `reader` may see it: its sender and admins see it as published (every A/B
 * variant in `opts.variants`), anyone else the text of their own variant (docs/campaigns.md).
 */
export const messageJsonFor = (
  reader: { readonly uid: string; readonly admin: boolean },
  m: MessageView,
): MessageView => messageJson(reader.admin || m.from === reader.uid ? m : personal(m, reader.uid));
