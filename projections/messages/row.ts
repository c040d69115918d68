import type { Audience, MessageOpts, Urgency } from '../../schema/message.js';
import type { MessageDetails, MessageView } from '../../ports/read-models.js';

export interface MessageRow {
  mid: string;
  tid: string | null;
  kind: string;
  audience: string;
  sender: string;
  msg: string;
  opts: string;
  urgency: number;
  at: string;
  scheduled: string | null;
  subject: string | null;
  eff: number;
  position: number;
  status: 'published' | 'cancelled' | 'retracted';
}

// Rows are written only from decoded events, so the casts restate what the codec checked.
export const toView = (r: MessageRow): MessageView => ({
  mid: r.mid,
  ...(r.tid === null ? {} : { tid: r.tid }),
  from: r.sender,
  msg: r.msg,
  opts: JSON.parse(r.opts) as MessageOpts,
  urgency: r.urgency as Urgency,
  at: r.at,
  ...(r.scheduled === null ? {} : { scheduled: r.scheduled }),
});

export const toDetails = (r: MessageRow, now: Date): MessageDetails => ({
  ...toView(r),
  audience: JSON.parse(r.audience) as Audience,
  status: r.status === 'published' && r.eff > now.getTime() ? 'scheduled' : r.status,
  position: r.position,
});
