import { createIdGenerator } from '../../adapters/ids/ids.js';
import { asMessageId, asUserId } from '../../schema/ids.js';
import type { MessageId } from '../../schema/ids.js';
import { T0, ctx, ok, subscription, unitFacts } from './triage-harness.js';
import type { World } from './triage-harness.js';

// What the triage flow tests say again and again (bob, an admin sender, a message to bob, the
// log's last facts and skips), over the world each test builds (`get`).
export const flowHelpers = (get: () => World) => {
  const ids = createIdGenerator(() => T0.getTime());
  const newMid = (): MessageId => asMessageId(ids.messageId());
  const bob = asUserId('bob');
  const admin = () => ctx('admin', get().now(), true);

  const bobWithBrowserAndEmail = async (): Promise<string> => {
    await ok(get().commands.enlist(ctx('bob', get().now()), subscription('bob')));
    await ok(get().commands.changeProfile(ctx('bob', get().now()), bob, { email: 'bob@example.org' }));
    const devices = await get().store.read('user-bob');
    return (devices.find((e) => e.type === 'DeviceEnlisted')?.data as { deviceId: string }).deviceId;
  };
  const send = async (opts: Record<string, number | string> = {}, scheduled?: Date): Promise<MessageId> => {
    const mid = newMid();
    await ok(
      get().commands.send(admin(), mid, bob, {
        msg: 'hello bob',
        opts,
        ...(scheduled === undefined ? {} : { scheduled }),
      }),
    );
    return mid;
  };
  const lastData = async (stream: string): Promise<Record<string, unknown>> =>
    (await get().store.read(stream)).at(-1)?.data as Record<string, unknown>;
  /** The last fact of one delivery unit, whichever stream it is in (batched facts expanded). */
  const lastFact = async (key: string): Promise<Record<string, unknown>> =>
    (await unitFacts(get(), key)).at(-1)?.data as Record<string, unknown>;
  // What did NOT happen is asserted through what was decided instead: a skip is a DeliverySkipped
  // event with its reason; a step not yet due is the scheduler's next timer.
  const skipsOf = async (mid: string): Promise<string[]> =>
    (await get().events('DeliverySkipped'))
      .map((e) => e.data as { mid?: string; channel: string; reason: string })
      .filter((d) => d.mid === mid)
      .map((d) => `${d.channel}:${d.reason}`)
      .sort();
  const nextDue = (): string | undefined =>
    get()
      .reactors.status()
      .find((s) => s.name === 'scheduler')?.nextDue;
  const at = (ms: number): string => new Date(T0.getTime() + ms).toISOString();
  return { ids, newMid, bob, admin, bobWithBrowserAndEmail, send, lastData, lastFact, skipsOf, nextDue, at };
};
