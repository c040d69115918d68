import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, Content, Delivery, OutgoingMessage, Outcome, Recipient } from '../../ports/channel.js';

// One suite for every Channel adapter (each provider's SDK against its stand-in, MQTT against
// Mosquitto, and the outbox). It asserts only what the port promises: one outcome per
// delivery, in order; a bad recipient is that recipient's outcome, never the batch's; an
// empty batch sends nothing; an unreachable provider is a retry, not an exception.
export interface ChannelUnderTest<R extends Recipient> {
  readonly channel: Channel<R>;
  /** A recipient the provider accepts; a different one for each i. */
  readonly good: (i: number) => R;
  /** A recipient the provider refuses for good (gone or failed); omitted where none exists (MQTT). */
  readonly bad?: () => R;
  /** How many sends the provider (or subscriber) has seen. */
  readonly received: () => number;
  /** Waits until the provider has seen n sends (MQTT subscribers receive asynchronously). */
  readonly waitForReceived?: (n: number) => Promise<void>;
  /** The adapter pointed at a provider that does not answer (a closed port), and recipients there. */
  readonly unreachable?: () => Promise<{ readonly channel: Channel<R>; readonly to: (i: number) => R }>;
  /** What the provider's stand-in found wrong in the requests so far (error paths included). */
  readonly problems?: () => readonly string[];
  readonly cleanup: () => Promise<void>;
}

let seq = 0;
export const sampleMessage = (overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  mid: `0190f0a0-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
  from: 'alice',
  tid: 'lobby',
  threadName: 'Lobby',
  msg: 'hello from the contract suite',
  opts: { data: { key: 'whatever' } },
  urgency: 3,
  at: '2025-05-01T12:00:00.000Z',
  ...overrides,
});

export const deliveryOf = <R extends Recipient>(
  to: R,
  content: Content = { kind: 'message', message: sampleMessage() },
  attempt = 0,
): Delivery<R> => ({ id: `d-${String(++seq)}`, attempt, to, content });

const kinds = (os: readonly Outcome[]): string[] => os.map((o) => o.kind);

/**
 * Promises some channels cannot make, each with the reason: their tests are then not
 * registered at all (rather than reported skipped on every run: nothing is left untested).
 */
export interface NotApplicable {
  readonly badRecipient?: string;
  readonly unreachable?: string;
}

export const channelContract = <R extends Recipient>(
  name: string,
  factory: () => Promise<ChannelUnderTest<R>>,
  notApplicable: NotApplicable = {},
): void => {
  describe(`Channel contract: ${name}`, () => {
    let t: ChannelUnderTest<R>;
    let next = 0;
    const good = (): R => t.good(next++);
    const settle = async (n: number): Promise<void> => {
      await t.waitForReceived?.(n);
    };
    beforeAll(async () => {
      t = await factory();
    });
    afterAll(async () => {
      await t.cleanup();
    });
    // Every request the SDK sent, on success and error paths alike, passed the stand-in's checks.
    afterEach(() => {
      expect(t.problems?.() ?? []).toEqual([]);
    });

    it('answers an empty batch with no outcomes and sends nothing', async () => {
      const before = t.received();
      expect(await t.channel.deliver([])).toEqual([]);
      expect(t.received()).toBe(before);
    });

    it('delivers a batch with one outcome per delivery, in order', async () => {
      const before = t.received();
      const batch = Array.from({ length: 12 }, () => deliveryOf(good()));
      const outcomes = await t.channel.deliver(batch);
      expect(kinds(outcomes)).toEqual(batch.map(() => 'delivered'));
      await settle(before + batch.length);
      expect(t.received()).toBe(before + batch.length);
    });

    it('renders a digest as one delivery', async () => {
      const content: Content = {
        kind: 'digest',
        messages: [sampleMessage({ msg: 'newest' }), sampleMessage({ msg: 'older' })],
      };
      expect(kinds(await t.channel.deliver([deliveryOf(good(), content)]))).toEqual(['delivered']);
    });

    if (notApplicable.badRecipient === undefined)
      it('gives a bad recipient its own outcome without failing the rest of the batch', async () => {
        if (t.bad === undefined)
          throw new Error(`${name}: no bad recipient; declare notApplicable.badRecipient with the reason`);
        const batch = [deliveryOf(good()), deliveryOf(t.bad()), deliveryOf(good()), deliveryOf(good())];
        const outcomes = await t.channel.deliver(batch);
        expect(outcomes).toHaveLength(4);
        expect(kinds(outcomes)).toEqual([
          'delivered',
          expect.stringMatching(/^(gone|failed)$/),
          'delivered',
          'delivered',
        ]);
        const bad = outcomes[1];
        expect(bad !== undefined && bad.kind !== 'delivered' && bad.reason.length > 0).toBe(true);
      });

    if (notApplicable.unreachable === undefined)
      it('reports an unreachable provider as retries, one per delivery, without throwing', async () => {
        if (t.unreachable === undefined)
          throw new Error(`${name}: no unreachable provider; declare notApplicable.unreachable with the reason`);
        const broken = await t.unreachable();
        try {
          const outcomes = await broken.channel.deliver([deliveryOf(broken.to(0)), deliveryOf(broken.to(1))]);
          expect(kinds(outcomes)).toEqual(['retry', 'retry']);
          for (const o of outcomes) if (o.kind === 'retry') expect(o.afterMs).toBeGreaterThan(0);
        } finally {
          await broken.channel.close();
        }
      });
  });
};
