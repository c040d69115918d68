import { isRight } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type * as t from 'io-ts';
import { DeliveryDoc, MessageDoc, zeroFunnel } from '../../schema/search-documents.js';
import { FailedToQuery } from './errors.js';

// SQLite rows <-> documents. Rows are decoded through the document codecs like any other
// engine's answer, so a hand-edited or stale file surfaces as an error, not a wrong shape.

export interface MessageRow {
  mid: string;
  tid: string | null;
  sender: string;
  audience: string;
  recipients: number | null;
  text: string;
  urgency: number;
  at: number;
  scheduled: number | null;
  status: string;
  counts: string;
  funnel: string;
  channels: string;
  variants: string | null;
}
export interface DeliveryRow {
  id: string;
  mid: string;
  uid: string;
  channel: string;
  status: string;
  at: number;
  latency_ms: number | null;
  times: string;
  reason: string | null;
  attempts: number | null;
  tid: string | null;
  msg_at: number | null;
  read_ms: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const decodeAs = <A>(codec: t.Decoder<unknown, A>, value: unknown): A => {
  const r = codec.decode(value);
  if (isRight(r)) return r.right;
  throw new FailedToQuery(`stored document does not decode: ${PathReporter.report(r).join('; ')}`);
};

export const messageFromRow = (r: MessageRow): MessageDoc =>
  decodeAs(MessageDoc, {
    mid: r.mid,
    tid: r.tid,
    from: r.sender,
    audience: r.audience,
    recipients: r.recipients,
    text: r.text,
    urgency: r.urgency,
    at: iso(r.at),
    scheduled: r.scheduled === null ? null : iso(r.scheduled),
    status: r.status,
    counts: JSON.parse(r.counts) as unknown,
    // A row from before funnels ('{}') reads as an empty funnel until a rebuild.
    funnel: r.funnel === '{}' ? zeroFunnel() : (JSON.parse(r.funnel) as unknown),
    channels: JSON.parse(r.channels) as unknown,
    ...(r.variants === null ? {} : { variants: JSON.parse(r.variants) as unknown }),
  });

export const messageToRow = (d: MessageDoc): MessageRow => ({
  mid: d.mid,
  tid: d.tid,
  sender: d.from,
  audience: d.audience,
  recipients: d.recipients,
  text: d.text,
  urgency: d.urgency,
  at: Date.parse(d.at),
  scheduled: d.scheduled === null ? null : Date.parse(d.scheduled),
  status: d.status,
  counts: JSON.stringify(d.counts),
  funnel: JSON.stringify(d.funnel),
  channels: JSON.stringify(d.channels),
  variants: d.variants === undefined ? null : JSON.stringify(d.variants),
});

export const deliveryFromRow = (r: DeliveryRow): DeliveryDoc =>
  decodeAs(DeliveryDoc, {
    id: r.id,
    mid: r.mid,
    uid: r.uid,
    channel: r.channel,
    status: r.status,
    at: iso(r.at),
    latency_ms: r.latency_ms,
    times: JSON.parse(r.times) as unknown,
    reason: r.reason,
    attempts: r.attempts,
    tid: r.tid,
    msg_at: r.msg_at === null ? null : iso(r.msg_at),
    read_ms: r.read_ms,
  });

export const deliveryToRow = (d: DeliveryDoc): DeliveryRow => ({
  id: d.id,
  mid: d.mid,
  uid: d.uid,
  channel: d.channel,
  status: d.status,
  at: Date.parse(d.at),
  latency_ms: d.latency_ms,
  times: JSON.stringify(d.times),
  reason: d.reason,
  attempts: d.attempts,
  tid: d.tid,
  msg_at: d.msg_at === null ? null : Date.parse(d.msg_at),
  read_ms: d.read_ms,
});
