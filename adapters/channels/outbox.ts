import type { JsonValue } from '../../schema/json.js';
import type { Channel, Delivery, Outcome, Recipient } from '../../ports/channel.js';
import { leadOf, delivered, failed } from './outcome.js';
import type { OutboxStore } from '../../ports/outbox.js';

// The channel used for a provider without credentials: it renders the delivery with the
// provider's own mapper and records the request it would have sent, so the embedded
// default shows the whole flow (GET /api/v2/outbox). Every delivery counts as delivered.
export type OutboxRender<R extends Recipient> = (d: Delivery<R>) => {
  readonly to: string;
  readonly payload: JsonValue;
};

/** The recipient user of a delivery (an MQTT thread topic has none), kept for erasure. */
const uidOf = (to: Recipient): { uid?: string } => {
  if (to.channel !== 'mqtt') return { uid: to.uid };
  return to.target.kind === 'user' ? { uid: to.target.uid } : {};
};

export const createOutboxChannel = <R extends Recipient>(
  kind: R['channel'],
  store: OutboxStore,
  render: OutboxRender<R>,
  now: () => number = Date.now,
): Channel<R> => ({
  kind,
  provider: 'outbox',
  deliver: async (batch) => {
    const at = new Date(now()).toISOString();
    const rendered = batch.map((d) => {
      try {
        return {
          ok: true as const,
          record: { at, channel: kind, deliveryId: d.id, mid: leadOf(d.content).mid, ...uidOf(d.to), ...render(d) },
        };
      } catch (e) {
        return { ok: false as const, reason: `cannot render: ${e instanceof Error ? e.message : String(e)}` };
      }
    });
    const records = rendered.flatMap((r) => (r.ok ? [r.record] : []));
    const ids = await store.record(records);
    let next = 0;
    return rendered.map((r): Outcome => {
      if (!r.ok) return failed(r.reason);
      const id = ids[next];
      next += 1;
      return delivered(`outbox:${String(id)}`);
    });
  },
  close: () => Promise.resolve(),
});
