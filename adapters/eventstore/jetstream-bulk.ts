import { randomBytes } from 'node:crypto';
import type { MsgHdrs, NatsConnection } from 'nats';
import type { JetStreamApi, StoredMessage } from './jetstream-api.js';

// Reading a long stretch of the log (a projection catching up or rebuilding) through a
// short-lived consumer: one ephemeral, unfiltered, in-memory pull consumer per page, asked
// once for the whole page, then deleted. Seen here: 100-150k messages/s in pages of 2000,
// against ~16k/s for one "get message" request per message. Short stretches (the live tail)
// keep using single gets, which need no consumer at all.
//
// Anything unusual (the consumer cannot be made, a node dies mid-page, a status instead of
// data) ends the page early; the caller then continues with single gets from the first
// sequence not received, so this path can only be faster, never less correct.

// "$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>", or
// the newer form with "<domain>.<account hash>." after "$JS.ACK." and a token at the end.
const streamSeqOf = (reply: string | undefined): number | undefined => {
  const tokens = reply?.split('.') ?? [];
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const at = tokens.length === 9 ? 5 : tokens.length >= 11 ? 7 : -1;
  const seq = Number(tokens[at]);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
};

// Back into the stored form ("NATS/1.0\r\nName: value\r\n...") that single gets return.
const headerBlock = (headers: MsgHdrs | undefined): string => {
  if (headers === undefined) return '';
  const lines = ['NATS/1.0'];
  for (const [name, values] of headers) for (const v of values) lines.push(`${name}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
};

export const bulkRead = async (
  nc: NatsConnection,
  api: JetStreamApi,
  stream: string,
  startSeq: number,
  count: number,
  timeoutMs: number,
): Promise<StoredMessage[]> => {
  let consumer: string;
  try {
    const created = (await api.call(`CONSUMER.CREATE.${stream}`, {
      stream_name: stream,
      config: {
        deliver_policy: 'by_start_sequence',
        opt_start_seq: startSeq,
        ack_policy: 'none',
        mem_storage: true,
        num_replicas: 1,
        inactive_threshold: 10_000_000_000,
        max_batch: count,
      },
    })) as { name?: unknown };
    if (typeof created.name !== 'string') return [];
    consumer = created.name;
  } catch {
    return [];
  }
  const out: StoredMessage[] = [];
  const inbox = `_INBOX.msgxc-bulk.${randomBytes(8).toString('hex')}`;
  await new Promise<void>((resolve) => {
    const sub = nc.subscribe(inbox, {
      callback: (_err, m) => {
        const seq = streamSeqOf(m.reply);
        // A status (404 no messages, 408 expired, 409 ...) or anything else ends the page, and
        // so does a sequence not past the last one: the consumer started over.
        if (seq === undefined || seq <= (out[out.length - 1]?.seq ?? startSeq - 1)) {
          finish();
          return;
        }
        const { headers } = m;
        out.push({ subject: m.subject, seq, data: m.data, headers: () => headerBlock(headers) });
        if (out.length >= count) finish();
      },
    });
    const timer = setTimeout(() => {
      finish();
    }, timeoutMs + 500);
    function finish(): void {
      clearTimeout(timer);
      sub.unsubscribe();
      resolve();
    }
    nc.publish(
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      JSON.stringify({ batch: count, expires: timeoutMs * 1_000_000 }),
      { reply: inbox },
    );
  });
  // No reply wanted; the inactivity threshold removes it anyway should this be lost.
  nc.publish(`$JS.API.CONSUMER.DELETE.${stream}.${consumer}`);
  return out;
};
