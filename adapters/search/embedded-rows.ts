import { isRight } from 'fp-ts/lib/Either.js';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type * as t from 'io-ts';
import { DeliveryDoc, MessageDoc, zeroCounts, zeroFunnel } from '../../schema/search-documents.js';
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

// A created message's counts and funnel are zeros (messageDoc), and making their JSON texts
// anew for each was a tenth of what the search worker spent turning a message into its row
// (issue 15): the texts of the zeros are made once. sameJson tells a value JSON.stringify writes
// as the template's text: plain objects with the same keys in the same order and equal numbers.
const ZERO_COUNTS = zeroCounts();
const ZERO_FUNNEL = zeroFunnel();
const ZERO_COUNTS_JSON = JSON.stringify(ZERO_COUNTS);
const ZERO_FUNNEL_JSON = JSON.stringify(ZERO_FUNNEL);
const sameJson = (value: unknown, template: unknown): boolean => {
  if (typeof template !== 'object' || template === null) return typeof value === 'number' && value === template;
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const keys = Object.keys(value);
  const want = Object.keys(template);
  if (keys.length !== want.length) return false;
  for (let i = 0; i < keys.length; i += 1) {
    const k = keys[i] ?? '';
    if (k !== want[i] || !sameJson((value as Record<string, unknown>)[k], (template as Record<string, unknown>)[k]))
      return false;
  }
  return true;
};
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
  counts: sameJson(d.counts, ZERO_COUNTS) ? ZERO_COUNTS_JSON : JSON.stringify(d.counts),
  funnel: sameJson(d.funnel, ZERO_FUNNEL) ? ZERO_FUNNEL_JSON : JSON.stringify(d.funnel),
  channels: d.channels.length === 0 ? '[]' : JSON.stringify(d.channels),
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
